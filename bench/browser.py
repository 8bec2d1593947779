"""Headless Chromium: time from navigation to the dashboard live and drawn with its history."""

from __future__ import annotations

import os
import time

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def page_load(url: str, cookie: str, *, records: int, runs: int, timeout_s: float) -> list[dict]:
    """Per run: seconds to `data-state=live` (history_end handled) and to the first redraw
    holding every record (`data-records`, set after dc.redrawAll()), and the JS heap."""
    name, value = cookie.split("=", 1)
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies([{"name": name, "value": value, "url": url}])
                page = context.new_page()
                started = time.perf_counter()
                try:
                    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
                    page.locator("#dashboard[data-state=live]").wait_for(timeout=timeout_s * 1000)
                    live = time.perf_counter() - started
                    page.locator(f'#dashboard[data-records="{records}"]').wait_for(
                        state="attached", timeout=timeout_s * 1000
                    )
                    drawn = time.perf_counter() - started
                    heap = page.evaluate("performance.memory && performance.memory.usedJSHeapSize")
                    results.append({"live": live, "drawn": drawn, "heap_mb": (heap or 0) / 2**20})
                except Exception as error:  # a timeout is a figure ("over N s"), not a crash
                    results.append({"error": type(error).__name__, "after": timeout_s})
                finally:
                    context.close()
        finally:
            browser.close()
    return results
