"""Screenshots of a running dashboard for the README: start a demo, wait a minute, then
`.venv/bin/python -m docs.screenshots [http://127.0.0.1:8000]` (from the checkout's root).
Light, dark, filtered, phone and TV mode; the period comparison (numbers and the time chart's
previous-period overlay, last hour) at 1280 and 390 px: it needs an hour or two of history.
`--comparison` makes only those."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from harness.chromium import chromium_launch

HERE = Path(__file__).resolve().parent


def log_in(page: Page, base: str, path: str = "/") -> None:
    page.goto(base + path)
    if page.locator("#id_username").count():
        page.fill("#id_username", "demo")
        page.fill("#id_password", "rtviz-demo")
        page.click("button[type=submit]")
    page.locator("#dashboard[data-state=live]").wait_for()
    page.locator("#table-latest tbody tr").first.wait_for(state="attached")
    page.wait_for_timeout(300)  # the first frame's redraw


def comparison(page: Page, base: str) -> None:
    """The numbers with their change and the time chart with the previous hour overlaid."""
    for width, name in ((1280, "comparison.png"), (390, "comparison-phone.png")):
        page.set_viewport_size({"width": width, "height": 900})
        log_in(page, base, "/?range=1h&previous=1")
        page.locator("#chart-time g.previous-period path").first.wait_for(state="attached")
        numbers = page.locator("#numbers").bounding_box()
        time_chart = page.locator("#chart-time").bounding_box()
        assert numbers and time_chart
        top = numbers["y"] - 8
        page.screenshot(
            path=HERE / name,
            full_page=True,
            clip={
                "x": 0,
                "y": top,
                "width": width,
                "height": time_chart["y"] + time_chart["height"] - top + 8,
            },
        )


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.emulate_media(color_scheme="light")
        log_in(page, base)
        page.screenshot(path=HERE / "dashboard.png", full_page=True)
        page.locator("#budgets .budget").first.wait_for()  # the demo's example budgets
        page.locator("#budgets").screenshot(path=HERE / "budgets.png")
        page.locator("#chart-year g.pie-slice path").first.click()
        page.locator("#chart-pay-type g.row rect").first.click()
        page.wait_for_timeout(300)
        page.screenshot(path=HERE / "dashboard-filtered.png", full_page=True)
        page.click("#reset-all")
        page.emulate_media(color_scheme="dark")
        page.wait_for_timeout(300)
        page.screenshot(path=HERE / "dashboard-dark.png", full_page=True)
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)  # the charts follow the resize
        page.screenshot(path=HERE / "dashboard-phone.png")
        page.set_viewport_size({"width": 1920, "height": 1080})
        log_in(page, base, "/?tv=1")
        page.emulate_media(color_scheme="dark")
        page.wait_for_timeout(300)
        page.screenshot(path=HERE / "dashboard-tv.png")
        page.emulate_media(color_scheme="light")
        comparison(page, base)
        browser.close()


def main_comparison(base: str) -> None:
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.emulate_media(color_scheme="light")
        comparison(page, base)
        browser.close()


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--comparison"]
    target = arguments[0] if arguments else "http://127.0.0.1:8000"
    (main_comparison if "--comparison" in sys.argv else main)(target)
