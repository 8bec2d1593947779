"""What brushing costs on a drawn page: a drag across the amount chart, move by move, timed
inside Chromium, with where the time goes (the crossfilter filter and its group updates, each
chart's redraw, the numbers and chips, the URL write) and what runs once the brush settles.

    python -m bench.brush --records N [--static DIR ...]

measures a bench database already filled to N records (bench.prepare --fill-to N, under
RTVIZ_BENCH_DIR); each --static is a collected static root to serve the page from, one daphne
each, measured in turn in the same run (the page before and after a change, side by side).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from harness.chromium import dashboard_page

# The drag: the brush's extents move by move ($ on the amount axis), a user widening a range,
# sliding it and narrowing it again; some moves select nothing new, most change many rows.
MOVES = [[20, 20 + width] for width in range(10, 130, 10)] + [
    [low, low + 60] for low in range(20, 90, 10)
]
SETTLE_WAIT_MS = 600  # past the page's settle delay (and the URL's), to time what runs then
REST_MS = 1000  # the page drawn and at rest this long before the drag

# Wraps each chart's redraw, the amount chart's replaceFilter (crossfilter's filter with its group
# updates, which crossfilter runs inside the filter call), dc's renderlet and the URL write with
# timers, then
# drives the moves through the amount chart's own brush path (applyBrushSelection, what dc calls
# for each brush event), each followed by the page's next frame. Per move: its parts in ms.
BRUSH_JS = """async ({ moves, settleMs, restMs: REST_MS }) => {
  const charts = dc.chartRegistry.list();
  const amount = charts.find((chart) => chart.anchorName() === 'chart-amount');
  let parts = {};
  const add = (name, ms) => { parts[name] = (parts[name] || 0) + ms; };
  let depth = 0; // time only the outermost of nested timed calls
  const timed = (object, method, name) => {
    const original = object[method];
    object[method] = function timedCall(...args) {
      if (depth) return original.apply(this, args);
      depth += 1;
      const started = performance.now();
      try { return original.apply(this, args); } finally {
        depth -= 1;
        add(name, performance.now() - started);
      }
    };
  };
  for (const chart of charts) {
    timed(chart, 'redraw', `redraw ${chart.anchorName().replace('chart-', '')}`);
  }
  timed(amount, 'replaceFilter', 'filter (crossfilter and groups)');
  const renderlet = dc.renderlet();
  if (renderlet) {
    const holder = { renderlet };
    timed(holder, 'renderlet', 'numbers and chips');
    dc.renderlet(holder.renderlet);
  }
  timed(history, 'replaceState', 'URL write');
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const moved = [];
  // A drag starts on a page at rest, a second after it is drawn: a brush in the very next
  // frames also pays for collecting the history's garbage (V8's incremental marking runs in
  // the allocations that follow a load, and in idle time once there is some).
  const idle = () => new Promise((resolve) => requestIdleCallback(resolve, { timeout: 2000 }));
  await idle();
  await wait(REST_MS);
  await idle();
  await frame();
  for (const [low, high] of moves) {
    parts = {};
    amount.applyBrushSelection(dc.filters.RangedFilter(low, high));
    await frame();
    moved.push(parts);
  }
  parts = {};
  await wait(settleMs);
  const settled = { ...parts };
  amount.filterAll();
  dc.redrawAll();
  await wait(settleMs);
  return { moved, settled };
}"""


def summary(measured: dict[str, Any]) -> dict[str, Any]:
    """Per move the total; the median and worst of them; each part's median and worst."""
    moves = measured["moved"]
    totals = [sum(parts.values()) for parts in moves]
    names = sorted({name for parts in moves for name in parts})
    return {
        "moves": len(moves),
        "median_ms": statistics.median(totals),
        "worst_ms": max(totals),
        "parts": {
            name: (
                statistics.median(parts.get(name, 0.0) for parts in moves),
                max(parts.get(name, 0.0) for parts in moves),
            )
            for name in names
        },
        "settled_ms": sum(measured["settled"].values()),
        "settled_parts": measured["settled"],
        "totals": [round(total, 1) for total in totals],
        "worst_parts": moves[totals.index(max(totals))],
    }


def brush_cost(page: Any) -> dict[str, Any]:
    """A drawn dashboard page (Playwright): the rows its crossfilter holds, and the drag's
    figures (see `summary`)."""
    items = page.evaluate(ITEMS_JS)
    measured = page.evaluate(
        BRUSH_JS, {"moves": MOVES, "settleMs": SETTLE_WAIT_MS, "restMs": REST_MS}
    )
    return {"items": items, **summary(measured)}


def page_brush(url: str, cookie: str, *, records: int, timeout_s: float) -> dict[str, Any]:
    """Open the page, wait until it holds `records`, and drag the brush."""
    with dashboard_page(url, cookie, records=records, timeout_s=timeout_s) as page:
        return brush_cost(page)


# What the page's crossfilter holds: summary rows and whole records (not the records).
ITEMS_JS = "() => dc.chartRegistry.list()[0].dimension().top(Infinity).length"


def main(argv: list[str]) -> None:
    from bench import processes
    from bench.plan import DATABASES

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--static", action="append", help="a collected static root")
    parser.add_argument("--rounds", type=int, default=2, help="drags per static root, in turn")
    options = parser.parse_args(argv)
    url = DATABASES["SQLite" if options.db == "sqlite" else "PostgreSQL"]
    cookie = str(processes.prepare(url, "--session")["cookie"])
    roots = options.static or [str(processes.WORK / "static")]
    servers = {root: processes.daphne_start(url, STATIC_ROOT=root) for root in roots}
    try:
        for round_number in range(options.rounds):
            for root, server in servers.items():
                result = page_brush(
                    server.url + "/", cookie, records=options.records, timeout_s=120
                )
                line = {"round": round_number, "static": root, **result}
                sys.stdout.write(json.dumps(line) + "\n")
                sys.stdout.flush()
    finally:
        processes.stop_all()


if __name__ == "__main__":
    main(sys.argv[1:])
