"""The report: targets met or not, the tables, the machine and versions, docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.plan import DATABASES, HEADLINE, Plan, Results

# What the clients received (bench.run.delivery_cells), in the live and the sweep tables.
DELIVERY_COLUMNS = ["lost", "dup", "sockets dropped", "p50 ms", "p95 ms", "p99 ms", "max ms"]
START = "<!-- bench:start (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    postgres = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("Django", "channels", "channels-redis", "daphne", "websockets", "psycopg")
    )
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs ({cpu}) · "
        f"{memory_kb / 2**20:.1f} GiB RAM · Python {platform.python_version()} · {versions} · "
        f"SQLite {sqlite3.sqlite_version} (WAL) · PostgreSQL {postgres or 'unknown'} · "
        f"Redis channel layer (db 13)"
    )


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[cell(value) for value in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def doc_write(path: Path, body: str, *, start: str = START, end: str = END) -> None:
    """Replace what lies between the markers; keep the hand-written analysis around them."""
    block = f"{start}\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    head, found, rest = text.partition(start)
    if not found:
        text = f"{text.rstrip()}\n\n{block}\n"
    else:
        _, _, tail = rest.partition(end)
        text = f"{head}{block}{tail}"
    path.write_text(text)


# Each goal's upper limit, in the goal's unit (">= 20x" is judged on its own).
GOAL_LIMITS = {
    "0": 0,
    "<= 2 s": 2,
    "<= 25 MB": 25,
    "<= 100 MB": 100,
    "<= 3 s": 3,
    "<= 50 ms": 50,
    "<= 250 ms": 250,
    "<= 3x": 3,
    "<= 1": 1,
    "<= 100 ms": 100,
    "<= 16 ms": 16,
}


def verdict(value: object, limit: float, *, measured_note: str = "") -> str:
    if isinstance(value, str) and value.startswith(">"):  # timed out past the limit
        return "**not met**"
    if not isinstance(value, int | float) or value != value:
        return "not measured"
    return ("met" if value <= limit else "**not met**") + measured_note


def targets(plan: Plan, results: Results) -> list[list[object]]:
    rows: list[list[object]] = []
    for size in sorted(plan.sizes)[-2:]:  # 1M, and 10M "all time"
        for name in DATABASES:
            at = results.history_at.get((name, size), {})
            label = f"{size:,}-record history, {name}"
            rows.append([f"{label}: server done, first connect", "<= 2 s", at.get("seconds"), ""])
            rows.append([f"{label}: server done, later connects", "<= 2 s", at.get("later"), ""])
            rows.append([f"{label}: on the wire", "<= 25 MB", at.get("mb"), ""])
            rows.append([f"{label}: server memory growth", "<= 100 MB", at.get("growth"), ""])
        for name in DATABASES:
            drawn = results.history_at.get((name, size), {}).get("drawn")
            if drawn is not None:
                rows.append(
                    [f"{size:,}-record history: page drawn (Chromium)", "<= 3 s", drawn, ""]
                )
            brush = results.history_at.get((name, size), {}).get("brush")
            if brush:
                label = f"{size:,}-record history: a brush move on the amount chart"
                moves = f"{brush['moves']} moves"
                rows.append([f"{label}, median of {moves}", "<= 16 ms", brush["median_ms"], ""])
                rows.append([f"{label}, worst of {moves}", "<= 16 ms", brush["worst_ms"], ""])
    floor = results.headline.get("floor")
    for name in DATABASES:
        live = results.headline.get(name)
        if not live:
            continue
        label = f"live {HEADLINE[0]:,}/s to {HEADLINE[1]} clients, {live['seconds']} s, {name}"
        rows.append([f"{label}: lost", "0", live["lost"], ""])
        rows.append([f"{label}: duplicated", "0", live["duplicated"], ""])
        rows.append([f"{label}: p50", "<= 50 ms", live["p50"], ""])
        rows.append([f"{label}: p99", "<= 250 ms", live["p99"], ""])
        if floor:
            for key in ("p50", "p99"):
                ratio = live[key] / floor[key] if floor[key] > 0 else float("nan")
                rows.append([f"{label}: {key} / floor's {key}", "<= 3x", ratio, ""])
    seed, ours = results.sustainable.get("seed-style"), results.sustainable.get("rtviz")
    ratio = ours / seed if seed and ours else None
    rows.append([">= 20x the seed-style path's sustainable rate", ">= 20x", ratio, ""])
    cost = results.browser_live
    at = f"{cost.get('records', 0):,} records, {cost.get('rate', 0):,}/s live" if cost else ""
    rows.append(
        [
            f"browser ({at}): redraws per animation frame, at most",
            "<= 1",
            cost.get("max_redraws_per_frame"),
            "",
        ]
    )
    rows.append(
        [f"browser ({at}): longest task while live", "<= 100 ms", cost.get("longest_task_ms"), ""]
    )
    for row in rows:
        goal, value = row[1], row[2]
        limit = GOAL_LIMITS.get(goal)
        if goal == ">= 20x":
            row[3] = "not measured" if value is None else ("met" if value >= 20 else "**not met**")
        else:
            row[3] = verdict(value, limit) if limit is not None else "not measured"
        row[2] = "—" if value is None else value
    return rows


# Where a brush move's time goes (bench.brush names the parts), in this order.
BRUSH_PARTS = {
    "filter (crossfilter and groups)": "filter + group updates",
    "redraw time": "time chart",
    "redraw amount": "amount chart",
    "redraw person": "person chart",
    "redraw pay-type": "pay-type chart",
    "redraw year": "year chart",
    "numbers and chips": "numbers + chips",
    "redraw table-latest": "table",
}


def brushing(results: Results) -> list[list[object]]:
    """Per size brushed: the moves' median and worst, each part's median / worst, and what
    runs once the brush settles (the table, the URL write)."""
    rows = []
    for (name, size), at in sorted(results.history_at.items(), key=lambda item: item[0][1]):
        brush = at.get("brush")
        if not brush:
            continue
        parts = [
            "{:.1f} / {:.1f}".format(*brush["parts"][part]) if part in brush["parts"] else "—"
            for part in BRUSH_PARTS
        ]
        settled = ", ".join(
            f"{part.removeprefix('redraw ')} {ms:.1f}"
            for part, ms in brush["settled_parts"].items()
            if ms
        )
        rows.append(
            [
                name,
                size,
                brush["items"],
                brush["moves"],
                brush["median_ms"],
                brush["worst_ms"],
                *parts,
                f"{brush['settled_ms']:.1f} ({settled or 'nothing'})",
            ]
        )
    return rows


def render(plan: Plan, results: Results, elapsed: float, command: str) -> str:
    parts = [
        f"Latest run: `{command}`, {elapsed / 60:.1f} minutes. {machine()}.",
        f"Runs: {plan.note}. Other work may share this 2-core machine (tests, other engineers' "
        "servers): figures are medians, and ratios come from the same run.",
        "### Targets",
        table(["target", "goal", "measured", "verdict"], targets(plan, results)),
        "### 1. History on connect (one client; time from opening the socket to history_end)",
        table(
            [
                "database",
                "records",
                "runs",
                "first connect s",
                "later connects, median s",
                "MB on the wire",
                "bytes/record",
                "frames",
                "items (summary rows + whole records)",
                "server peak memory growth MB",
                "Chromium: live s",
                "Chromium: drawn s",
            ],
            results.history,
        ),
        "### 2, 3. Live fan-out: generate_spend -> clients (latency: receive time - the frame's "
        "commit time `at`; from generation: - the record's `created`, stamped before it is "
        "written)",
        table(
            [
                "server",
                "records/s",
                "clients",
                "s",
                "written",
                "delivered per client (min / median)",
                *DELIVERY_COLUMNS,
                "p50 ms from generation",
                "server CPU ms per 1k delivered",
            ],
            results.live,
        ),
        "### 3. Sustainable rate to 100 clients: rtviz against the seed-style path "
        "(one group message and one JSON object a record; bench/seed.py), SQLite",
        table(
            [
                "path",
                "records/s asked",
                "achieved",
                *DELIVERY_COLUMNS,
                "sustained",
            ],
            results.sweep,
        ),
        "Sustainable: the highest rate with p99 <= 250 ms, nothing lost or duplicated, no socket "
        "dropped, and the publisher within 5% of the rate asked "
        f"(seed-style {results.sustainable.get('seed-style')}/s, "
        f"rtviz {results.sustainable.get('rtviz')}/s; a rate that passed at the top of its "
        "ladder means the path may sustain more).",
        "### 4. Brushing (Chromium, the page drawn with its history: a drag of the amount "
        "chart's brush through its own path, applyBrushSelection, one move a frame; ms per move, "
        "median / worst of the moves; bench/brush.py)",
        table(
            [
                "database",
                "records",
                "crossfilter rows",
                "moves",
                "median ms",
                "worst ms",
                *BRUSH_PARTS.values(),
                "after it settles, ms",
            ],
            brushing(results),
        ),
        "### 5. Generator: generate_spend --rate 100000 (store + broadcast, no listeners)",
        table(["database", "records", "runs", "median records/s", "min", "max"], results.generator),
    ]
    return "\n\n".join(parts)
