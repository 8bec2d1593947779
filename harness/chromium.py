"""Debian's Chromium, driven by Playwright."""

from __future__ import annotations

import os
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
