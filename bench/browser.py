"""Headless Chromium: time from navigation to the dashboard live and drawn with its history."""

from __future__ import annotations

import time

from playwright.sync_api import sync_playwright

from bench.brush import brush_cost
from harness.chromium import chromium_launch, cookie_add, dashboard_page


def page_load(
    url: str, cookie: str, *, records: int, runs: int, timeout_s: float, brush: bool = False
) -> list[dict]:
    """Per run: seconds to `data-state=live` (history_end handled) and to the first redraw
    holding every record (`data-records`, set after dc.redrawAll()), and the JS heap; with
    `brush`, the last run then drags the amount chart's brush (bench.brush)."""
    results = []
    with sync_playwright() as playwright:
        browser = chromium_launch(playwright)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                cookie_add(context, cookie, url)
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
                    if brush and len(results) == runs:
                        results[-1]["brush"] = brush_cost(page)
                except Exception as error:  # a timeout is a figure ("over N s"), not a crash
                    results.append({"error": type(error).__name__, "after": timeout_s})
                finally:
                    context.close()
        finally:
            browser.close()
    return results


# Counts redraws per animation frame and long tasks, from inside the page (after it is live).
INSTRUMENT_JS = """() => {
  const stats = { frames: 0, redraws: 0, maxRedrawsPerFrame: 0, longTasks: [] };
  let frameOfLastRedraw = -1;
  let redrawsThisFrame = 0;
  (function tick() { stats.frames += 1; requestAnimationFrame(tick); })();
  const redrawAll = dc.redrawAll;
  dc.redrawAll = (...args) => {
    stats.redraws += 1;
    redrawsThisFrame = stats.frames === frameOfLastRedraw ? redrawsThisFrame + 1 : 1;
    frameOfLastRedraw = stats.frames;
    stats.maxRedrawsPerFrame = Math.max(stats.maxRedrawsPerFrame, redrawsThisFrame);
    return redrawAll(...args);
  };
  const longTasks = (list) => list.getEntries().forEach((e) => stats.longTasks.push(e.duration));
  new PerformanceObserver(longTasks).observe({ type: 'longtask' });
  window.benchStats = stats;
}"""


def live_cost(url: str, cookie: str, *, records: int, generate, timeout_s: float) -> dict:
    """With `records` of history drawn, while `generate()` writes live records: redraws per
    animation frame and long tasks. (Brushing: page_load's `brush`.)"""
    with dashboard_page(url, cookie, records=records, timeout_s=timeout_s) as page:
        page.evaluate(INSTRUMENT_JS)
        written = generate()
        page.locator(f'#dashboard[data-records="{records + written}"]').wait_for(
            state="attached", timeout=timeout_s * 1000
        )
        stats = page.evaluate("window.benchStats")
    long_tasks = stats["longTasks"]
    return {
        "written": written,
        "frames": stats["frames"],
        "redraws": stats["redraws"],
        "max_redraws_per_frame": stats["maxRedrawsPerFrame"],
        "long_tasks": len(long_tasks),
        "longest_task_ms": max(long_tasks, default=0.0),
    }
