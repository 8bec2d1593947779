"""Screenshots of a running dashboard for the README: `make demo`, wait a minute, then
`.venv/bin/python -m docs.screenshots [http://127.0.0.1:8000]` (from the checkout's root)."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.chromium import chromium_launch

HERE = Path(__file__).resolve().parent


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base)
        page.fill("#id_username", "demo")
        page.fill("#id_password", "rtviz-demo")
        page.click("button[type=submit]")
        page.locator("#dashboard[data-state=live]").wait_for()
        page.screenshot(path=HERE / "dashboard.png", full_page=True)
        page.locator("#chart-year g.pie-slice").first.focus()
        page.keyboard.press("Enter")
        page.locator("#chart-pay-type g.row rect").first.click()
        page.screenshot(path=HERE / "dashboard-filtered.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 800})
        page.screenshot(path=HERE / "dashboard-phone.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
