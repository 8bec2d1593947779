"""Screenshots of a running dashboard for the README: `make demo`, wait a minute, then
`.venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]`."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
HERE = Path(__file__).resolve().parent


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base)
        page.fill("#id_username", "demo")
        page.fill("#id_password", "rtviz-demo")
        page.click("button[type=submit]")
        page.locator("#dashboard[data-state=live]").wait_for()
        page.screenshot(path=HERE / "dashboard.png", full_page=True)
        page.locator("#budgets .budget").first.wait_for()  # the demo's example budgets
        page.locator("#budgets").screenshot(path=HERE / "budgets.png")
        page.locator("#chart-year g.pie-slice").first.focus()
        page.keyboard.press("Enter")
        page.locator("#chart-pay-type g.row rect").first.click()
        page.screenshot(path=HERE / "dashboard-filtered.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 800})
        page.screenshot(path=HERE / "dashboard-phone.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
