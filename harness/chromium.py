"""Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_launch(playwright: Any) -> Any:
    """A headless Chromium from a started `sync_playwright()` (a playwright Browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def cookie_add(context: Any, cookie: str, url: str) -> None:
    """Give a browser context a `name=value` cookie (as harness.sessions makes) for `url`."""
    name, value = cookie.split("=", 1)
    context.add_cookies([{"name": name, "value": value, "url": url}])


@contextmanager
def dashboard_page(url: str, cookie: str, *, records: int, timeout_s: float) -> Iterator[Any]:
    """The dashboard at `url` in a 1280 x 900 Chromium page, logged in with `cookie`, once it
    has drawn `records` (the bench's pages: brushing, the live cost)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            cookie_add(context, cookie, url)
            page = context.new_page()
            page.goto(url, timeout=timeout_s * 1000)
            page.locator(f'#dashboard[data-records="{records}"]').wait_for(
                state="attached", timeout=timeout_s * 1000
            )
            yield page
        finally:
            browser.close()
