"""What budgets cost: the time 50 budgets add to a write batch, and to a connect.

    python -m bench.budgets            # both databases; writes docs/benchmarks-budgets.md
    python -m bench.budgets --quick    # tiny sizes, prints only
    python -m bench.budgets --baseline DIR [--records N --batches N]
        # before and after, side by side in one run: DIR holds another checkout (e.g.
        # `git archive main | tar -x -C DIR`), measured alternately with this one; prints only

Each database runs in a child process with its own bench database (never the development or
test one): SQLite in RTVIZ_BENCH_DIR, PostgreSQL `rtviz_budgets_bench` (or BENCH_PG_URL), Redis
db 13 (or BENCH_REDIS_URL), so the on-commit doorbell is paid as in production.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(os.environ.get("RTVIZ_BENCH_DIR", "/tmp/rtviz-bench"))  # noqa: S108 - scratch
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/rtviz_budgets_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks-budgets.md"
BUDGETS = 50
BATCH = 10  # records per write: the generator's batch at 100 records/s
KEPT_MARKER = "## Before and after"


def database_fresh(name: str) -> str:
    if name == "SQLite":
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (WORK / f"budgets.sqlite3{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{WORK / 'budgets.sqlite3'}"
    import psycopg

    base, database = PG_URL.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {database}")
    return PG_URL


def measure(records: int, batches: int) -> dict[str, float]:
    """In the child: fill, then time write batches and connect reads with 0 and 50 budgets."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from budgets.models import Budget, Period
    from budgets.services import budget_create, spend_changed_receive
    from dashboard.budget_frames import budgets_frame_on_connect
    from feeds.generator import DEFAULT_NAMES, GENERATED_PAY_TYPES, spend_records_generate
    from feeds.services import records_create
    from feeds.signals import spend_changed

    call_command("migrate", verbosity=0)
    rng = random.Random(1)
    now = timezone.now()
    for start in range(0, records, 5000):  # spread over 90 days: every period has spend
        batch = spend_records_generate(rng=rng, count=min(5000, records - start))
        for record in batch:
            record.created = now - timedelta(seconds=rng.randrange(90 * 86400))
        records_create(records=batch)

    def write_ms() -> float:
        times = []
        for _ in range(batches):
            batch = spend_records_generate(rng=rng, count=BATCH)
            started = time.perf_counter()
            records_create(records=batch)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def connect_ms() -> float:
        times = []
        for _ in range(batches):
            started = time.perf_counter()
            budgets_frame_on_connect()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    receiver_times: list[float] = []
    receiver_cpu: list[float] = []

    def receive_timed(**kwargs: object) -> None:
        # The added time itself: the receiver's work in the write's transaction, less noisy
        # than the difference of two whole writes on a shared machine; and its CPU time in
        # this process, which waiting for a core on a loaded machine does not inflate.
        started, cpu = time.perf_counter(), time.thread_time()
        spend_changed_receive(**kwargs)  # type: ignore[arg-type]
        receiver_times.append((time.perf_counter() - started) * 1000)
        receiver_cpu.append((time.thread_time() - cpu) * 1000)

    spend_changed.disconnect(dispatch_uid="budgets.spend_changed")
    results = {"write_without_budgets_app": write_ms()}
    spend_changed.connect(receive_timed, dispatch_uid="budgets.spend_changed")
    results["write_no_budgets"] = write_ms()
    results["receiver_no_budgets"] = statistics.median(receiver_times)
    results["connect_no_budgets"] = connect_ms()
    periods, pay_types = list(Period.values), ["", *GENERATED_PAY_TYPES]
    people = ["", *DEFAULT_NAMES]
    for number in range(BUDGETS):  # every period and scope; amounts large: no alert emails
        budget_create(
            name=f"bench {number}",
            amount=Decimal(10**7),
            period=periods[number % len(periods)],
            person=people[number % len(people)],
            pay_type=pay_types[number % len(pay_types)],
        )
    assert Budget.objects.count() == BUDGETS
    receiver_times.clear()
    receiver_cpu.clear()
    results["write_50_budgets"] = write_ms()
    results["receiver_50_budgets"] = statistics.median(receiver_times)
    results["receiver_50_budgets_cpu"] = statistics.median(receiver_cpu)
    results["connect_50_budgets"] = connect_ms()
    results["frame_bytes"] = len(budgets_frame_on_connect() or "")
    probes = []
    for _ in range(batches):  # the machine's pace: one trivial query, for scale
        started = time.perf_counter()
        Budget.objects.values_list("pk").first()
        probes.append((time.perf_counter() - started) * 1000)
    results["trivial_query"] = statistics.median(probes)
    return results


def child(name: str, records: int, batches: int, tree: Path | None = None) -> dict[str, float]:
    url = database_fresh(name)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "bench"}
    env["DJANGO_SETTINGS_MODULE"] = "rtviz.settings"
    code = (
        "from bench.budgets import measure; import json; "
        f"print(json.dumps(measure({records}, {batches})))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=tree or Path(__file__).resolve().parent.parent,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def render(rows: list[tuple[str, dict[str, float]]], records: int, batches: int) -> str:
    lines = [
        "# Budgets: what they cost",
        "",
        f"`python -m bench.budgets` (part of `make bench`): {records:,} records over 90 days, "
        f"batches of {BATCH} records written through feeds.services, medians of {batches}. "
        "On a shared machine, times grow with the load: wall times wait for a core, CPU "
        "times do not. PostgreSQL's own work is outside the writer's CPU time.",
        "",
        f"Run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        "",
        "| database | write without the budgets app (ms) | write, 0 budgets (ms) | "
        f"write, {BUDGETS} budgets (ms) | added in the write: kept totals only (ms) | "
        f"added in the write, {BUDGETS} budgets (ms, target ≤ 1) | "
        "the same, CPU time in the writer (ms) | "
        f"budgets frame on connect, {BUDGETS} budgets (ms, target ≤ 50) | frame (bytes) | "
        "one trivial query, for scale (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['write_without_budgets_app']:.2f} | {r['write_no_budgets']:.2f} | "
            f"{r['write_50_budgets']:.2f} | {r['receiver_no_budgets']:.2f} | "
            f"{r['receiver_50_budgets']:.2f} | {r['receiver_50_budgets_cpu']:.2f} | "
            f"{r['connect_50_budgets']:.2f} | "
            f"{r['frame_bytes']:.0f} | {r['trivial_query']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another checkout, measured alongside")
    parser.add_argument("--records", type=int)
    parser.add_argument("--batches", type=int)
    args = parser.parse_args()
    quick = args.quick or bool(os.environ.get("RTVIZ_BENCH_QUICK"))
    records, batches = (2000, 30) if quick else (100_000, 200)
    records, batches = args.records or records, args.batches or batches
    if args.baseline and not (args.baseline / "bench" / "budgets.py").is_file():
        sys.exit(f"--baseline {args.baseline}: not a checkout of rtviz (no bench/budgets.py)")
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        if args.baseline:  # before, then after, on the same machine within a minute or two
            rows.append((f"{name}, before", child(name, records, batches, args.baseline)))
            rows.append((f"{name}, after", child(name, records, batches)))
        else:
            rows.append((name, child(name, records, batches)))
    text = render(rows, records, batches)
    print(text)
    if not quick and not args.baseline and not args.records and not args.batches:
        # The side-by-side runs recorded by hand below the marker stay.
        kept = DOC.read_text().partition(KEPT_MARKER) if DOC.exists() else ("", "", "")
        DOC.write_text(text + (f"\n{KEPT_MARKER}{kept[2]}" if kept[1] else ""))


if __name__ == "__main__":
    main()
