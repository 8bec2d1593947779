"""What a bench run measures (the full plan and --quick) and what it found."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.processes import WORK

DATABASES = {
    "SQLite": f"sqlite:///{WORK}/db.sqlite3",
    # Its own database, or another given one (two checkouts benching side by side).
    "PostgreSQL": os.environ.get(
        "RTVIZ_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/rtviz_bench"
    ),
}
HEADLINE = (1000, 100)  # the live target: records/s, clients


@dataclass
class Plan:
    sizes: list[int]
    history_runs: dict[int, int]
    browser_sizes: list[int]
    brush_sizes: list[int]  # browser sizes at which a drag of the amount chart's brush is timed
    browser_timeout: float
    browser_live: tuple[int, int, int]  # history records, then records/s for seconds, live
    live: list[tuple[int, int, int]]  # (records/s, clients, seconds)
    generator_count: int
    generator_runs: int
    sweep: tuple[list[int], list[int], int]  # seed-style rates, rtviz rates, seconds each
    note: str


FULL = Plan(
    sizes=[10_000, 100_000, 1_000_000, 10_000_000],
    history_runs={10_000: 3, 100_000: 3, 1_000_000: 3, 10_000_000: 3},
    browser_sizes=[100_000, 1_000_000, 10_000_000],
    brush_sizes=[1_000_000, 10_000_000],
    browser_timeout=60,
    browser_live=(1_000_000, 1000, 10),
    live=[(100, 10, 10), (100, 100, 10), (1000, 10, 10), (1000, 100, 60)],
    generator_count=20_000,
    generator_runs=2,
    sweep=([25, 50, 100, 200, 400, 800], [1000, 2000, 4000], 10),
    note="the headline live case (1,000/s to 100 clients) runs the issue's 60 s; the other "
    "three live cases run 10 s each to keep the whole run within 15 minutes",
)
QUICK = Plan(
    sizes=[1_000, 5_000, 30_000],
    history_runs={1_000: 3, 5_000: 3, 30_000: 3},
    browser_sizes=[5_000],
    brush_sizes=[5_000],
    browser_timeout=30,
    browser_live=(5_000, 1000, 5),
    live=[(100, 5, 5), (1000, 20, 5)],
    generator_count=2_000,
    generator_runs=2,
    sweep=([25, 100], [1000, 2000], 4),
    note="--quick: tiny sizes and 5 s live runs, for checking the bench itself",
)


@dataclass
class Results:
    history: list[list[object]] = field(default_factory=list)
    live: list[list[object]] = field(default_factory=list)
    generator: list[list[object]] = field(default_factory=list)
    headline: dict[str, dict[str, float]] = field(default_factory=dict)
    history_at: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    browser_live: dict[str, float] = field(default_factory=dict)
    sweep: list[list[object]] = field(default_factory=list)
    sustainable: dict[str, int | None] = field(default_factory=dict)
