"""rtviz benchmarks: history on connect, live fan-out, the floor, the generator.

    python -m bench            # the full run, <= 15 minutes on 2 cores; writes docs/benchmarks.md
    python -m bench --quick    # tiny sizes, a couple of minutes; writes /tmp/rtviz-bench/
    (or RTVIZ_BENCH_QUICK=1)
    python -m bench --soak     # only the socket soak (bench/soak.py); its benchmarks.md section

Each database gets a fresh bench database (never the development or test one) and its own
daphne processes; everything runs one at a time, since this machine has two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import redis

from bench import processes
from bench.clients import Crowd, crowd_summary, history_connect
from bench.plan import DATABASES, FULL, HEADLINE, QUICK, Plan, Results
from bench.processes import WORK, Server
from bench.report import doc_write, render

PARTS = ("generator", "live", "sweep", "history", "floor")
DRAIN_SECONDS = 2.0  # after the last record is written, before the clients stop counting


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_fresh(name: str, url: str) -> None:
    if name == "SQLite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK}/db.sqlite3{suffix}").unlink(missing_ok=True)
        return
    import psycopg
    import psycopg.sql

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        name = psycopg.sql.Identifier(url.rsplit("/", 1)[1])
        db.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        db.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(name))


def redis_flush() -> None:
    redis.Redis.from_url(processes.REDIS_URL).flushdb()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# 5. Generator


def generator_bench(name: str, url: str, plan: Plan, results: Results) -> None:
    rates = []
    for _ in range(plan.generator_runs):
        process = processes.generator_start(url, rate=100_000, count=plan.generator_count)
        rates.append(processes.generator_result(process)["rate"])
    log(f"{name} generator: {[round(rate) for rate in rates]} records/s")
    results.generator.append(
        [name, plan.generator_count, len(rates), median(rates), min(rates), max(rates)]
    )


# 2 and 3. Live fan-out, and the floor


async def live_run(ws_url: str, cookie: str | None, clients: int, pid: int, go) -> dict:
    crowd = Crowd(ws_url, cookie, clients)
    await crowd.open()
    try:
        cpu_before = processes.cpu_seconds(pid)
        written = await asyncio.get_running_loop().run_in_executor(None, go)
        await asyncio.sleep(DRAIN_SECONDS)
        cpu = processes.cpu_seconds(pid) - cpu_before
    finally:
        await crowd.close()
    summary = crowd_summary(crowd, written)
    delivered = sum(len(client.seen) for client in crowd.clients)
    summary["cpu_ms_per_1k"] = cpu * 1000 / (delivered / 1000) if delivered else float("nan")
    return summary


def delivery_cells(summary: dict) -> list[object]:
    """What the clients received, in report.DELIVERY_COLUMNS order."""
    keys = ("lost", "duplicated", "errors", "p50", "p95", "p99", "max")
    return [summary[key] for key in keys]


def live_row(label: str, rate: int, seconds: int, summary: dict) -> list[object]:
    return [
        label,
        rate,
        summary["clients"],
        seconds,
        summary["written"],
        f"{summary['delivered_min']:,} / {summary['delivered_median']:,}",
        *delivery_cells(summary),
        summary["p50_generated"],
        summary["cpu_ms_per_1k"],
    ]


def live_bench(name: str, url: str, cookie: str, plan: Plan, results: Results) -> None:
    server = processes.daphne_start(url)
    try:
        for rate, clients, seconds in plan.live:
            processes.prepare(url, "--reset")

            def go(rate: int = rate, seconds: int = seconds) -> int:
                process = processes.generator_start(url, rate=rate, count=rate * seconds)
                return processes.generator_result(process)["written"]

            summary = asyncio.run(live_run(server.ws_url, cookie, clients, server.process.pid, go))
            log(f"{name} live {rate}/s x {clients}: {summary}")
            results.live.append(live_row(f"rtviz, {name}", rate, seconds, summary))
            if (rate, clients) == HEADLINE:
                results.headline[name] = {**summary, "seconds": seconds}
    finally:
        processes.stop(server.process)


def floor_bench(plan: Plan, results: Results) -> None:
    rate, clients, seconds = next(
        (case for case in plan.live if case[:2] == HEADLINE), plan.live[-1]
    )
    process = processes.start(
        [sys.executable, "-m", "bench.floor", "--rate", str(rate), "--count", str(rate * seconds)],
        {**os.environ, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        port = int(process.stdout.readline().split()[1])

        def go() -> int:
            process.stdin.write("go\n")
            process.stdin.flush()
            done = process.stdout.readline()
            return int(done.split()[1])

        summary = asyncio.run(live_run(f"ws://127.0.0.1:{port}/", None, clients, process.pid, go))
        log(f"floor live {rate}/s x {clients}: {summary}")
        results.live.append(live_row("floor (bare websockets)", rate, seconds, summary))
        results.headline["floor"] = {**summary, "seconds": seconds}
    finally:
        process.stdin.close()
        processes.stop(process)


# 3. The seed-style reference: the highest rate each path sustains to 100 clients


def sustainable(
    results: Results,
    label: str,
    server: Server,
    cookie: str | None,
    rates: list[int],
    seconds: int,
    publisher: Callable[[int, int], subprocess.Popen[str]],
) -> None:
    """Step the rate up until p99 passes 250 ms, a record is lost or duplicated, a socket
    drops, or the publisher falls 5% behind; the last rate that passed is sustainable."""
    results.sustainable[label] = None
    for rate in rates:
        achieved: dict[str, float] = {}

        def go(rate: int = rate, achieved: dict[str, float] = achieved) -> int:
            achieved.update(processes.generator_result(publisher(rate, rate * seconds)))
            return int(achieved["written"])

        summary = asyncio.run(live_run(server.ws_url, cookie, HEADLINE[1], server.process.pid, go))
        kept_up = achieved["rate"] >= 0.95 * rate
        passed = (
            kept_up
            and summary["p99"] <= 250
            and not (summary["lost"] or summary["duplicated"] or summary["errors"])
        )
        log(f"sweep {label} {rate}/s: achieved {achieved['rate']:.0f}/s, {summary}")
        results.sweep.append(
            [
                label,
                rate,
                round(achieved["rate"]),
                *delivery_cells(summary),
                "yes" if passed else "no",
            ]
        )
        if not passed:
            return
        results.sustainable[label] = rate


def sweep_bench(url: str, cookie: str, plan: Plan, results: Results) -> None:
    seed_rates, rtviz_rates, seconds = plan.sweep
    server = processes.daphne_start(url, app="bench.seed:application")
    try:
        sustainable(
            results,
            "seed-style",
            server,
            None,
            seed_rates,
            seconds,
            lambda rate, count: processes.generator_start(
                url, rate=rate, count=count, command=("-m", "bench.seed")
            ),
        )
    finally:
        processes.stop(server.process)
    server = processes.daphne_start(url)
    try:

        def generate(rate: int, count: int) -> subprocess.Popen[str]:
            processes.prepare(url, "--reset")
            return processes.generator_start(url, rate=rate, count=count)

        sustainable(results, "rtviz", server, cookie, rtviz_rates, seconds, generate)
    finally:
        processes.stop(server.process)


# 1. History on connect


def history_bench(name: str, url: str, cookie: str, plan: Plan, results: Results, browse: bool):
    for size in plan.sizes:
        filled = processes.prepare(url, "--fill-to", str(size))
        log(
            f"{name}: {filled['records']:,} records (added in {filled.get('fill_seconds')} s, "
            f"cells made in {filled.get('cells_seconds')} s)"
        )
        server: Server = processes.daphne_start(url)
        try:
            runs = [
                asyncio.run(history_connect(server.ws_url, cookie))
                for _ in range(plan.history_runs[size])
            ]
            growth_mb = (
                processes.memory_kb(server.process.pid)["VmHWM"] - server.rss_at_start_kb
            ) / 1024
            browser = {}
            if browse and size in plan.browser_sizes:
                browser = browser_bench(server, cookie, size, plan)
            if browse and size == plan.browser_live[0] and not results.browser_live:
                results.browser_live = browser_live_bench(url, server, cookie, plan)
        finally:
            processes.stop(server.process)
        first, later = runs[0].seconds, median([run.seconds for run in runs[1:]])
        megabytes = runs[0].bytes / 1e6
        log(
            f"{name} history {size:,}: first {first:.2f} s, later {later:.2f} s, "
            f"{megabytes:.1f} MB, +{growth_mb:.0f} MB"
        )
        results.history_at[(name, size)] = {
            "seconds": first,
            "later": later,
            "mb": megabytes,
            "growth": growth_mb,
            **browser,
        }
        results.history.append(
            [
                name,
                size,
                len(runs),
                first,
                later,
                megabytes,
                runs[0].bytes / max(size, 1),
                runs[0].frames,
                runs[0].count,
                growth_mb,
                browser.get("live", "—"),
                browser.get("drawn", "—"),
            ]
        )


def browser_bench(server: Server, cookie: str, size: int, plan: Plan) -> dict:
    from bench.browser import page_load

    # One run at the largest size: it may take the whole timeout.
    runs = page_load(
        server.url + "/",
        cookie,
        records=size,
        runs=1 if size >= 1_000_000 else 2,
        timeout_s=plan.browser_timeout,
        brush=size in plan.brush_sizes,
    )
    done = [run for run in runs if "error" not in run]
    log(f"browser {size:,}: {runs}")
    if not done:
        return {"live": f"> {plan.browser_timeout:g} s", "drawn": f"> {plan.browser_timeout:g} s"}
    brushed = next((run["brush"] for run in done if "brush" in run), None)
    return {
        "live": median([run["live"] for run in done]),
        "drawn": median([run["drawn"] for run in done]),
        "heap_mb": median([run["heap_mb"] for run in done]),
        **({"brush": brushed} if brushed else {}),
    }


def browser_live_bench(url: str, server: Server, cookie: str, plan: Plan) -> dict:
    from bench.browser import live_cost

    records, rate, seconds = plan.browser_live

    def generate() -> int:
        process = processes.generator_start(url, rate=rate, count=rate * seconds)
        return int(processes.generator_result(process)["written"])

    cost = live_cost(
        server.url + "/", cookie, records=records, generate=generate, timeout_s=plan.browser_timeout
    )
    log(f"browser live {rate}/s with {records:,}: {cost}")
    return {"records": records, "rate": rate, "seconds": seconds, **cost}


def static_collect() -> None:
    shutil.rmtree(WORK / "static", ignore_errors=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=processes.ROOT,
        env=processes.app_env(DATABASES["SQLite"]),
        check=True,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", default=bool(os.environ.get("RTVIZ_BENCH_QUICK"))
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--output", help="the markdown file to write")
    parser.add_argument(
        "--ingest", action="store_true", help="only the API and import bench (bench.ingest)"
    )
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="with --ingest")
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only these parts (repeatable); the report leaves the others empty",
    )
    parser.add_argument("--soak", action="store_true", help="run only the socket soak")
    parser.add_argument("--soak-connects", type=int, default=2000)
    parser.add_argument("--soak-idle", type=int, default=2000, help="idle sockets (0: none)")
    options = parser.parse_args(argv)
    if options.soak:
        from bench.soak import soak

        try:
            soak(
                connects=options.soak_connects,
                idle_sockets=options.soak_idle,
                output=Path(options.output or processes.ROOT / "docs/benchmarks.md"),
            )
        finally:
            processes.stop_all()
        return
    plan = QUICK if options.quick else FULL
    output = Path(
        options.output
        or (
            WORK / "benchmarks-quick.md" if options.quick else processes.ROOT / "docs/benchmarks.md"
        )
    )
    chosen = {
        name: url
        for name, url in DATABASES.items()
        if not options.db or name.lower().startswith(tuple(options.db))
    }
    command = "make bench" + (" BENCH_ARGS=--quick" if options.quick else "")
    if options.ingest:
        from bench import ingest

        try:
            print(ingest.run(chosen, quick=options.quick, import_rows=options.import_rows))
        finally:
            processes.stop_all()
        return

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "daphne.log").write_text("")
    started = time.monotonic()
    results = Results()
    try:
        parts = set(options.only or PARTS)
        browse = not options.no_browser and "history" in parts
        if browse:
            static_collect()
        for name, url in chosen.items():
            log(f"{name}: fresh bench database")
            database_fresh(name, url)
            redis_flush()
            cookie = str(processes.prepare(url, "--migrate", "--session")["cookie"])
            if "generator" in parts:
                generator_bench(name, url, plan, results)
            if "live" in parts:
                live_bench(name, url, cookie, plan, results)
            if name == "SQLite" and "sweep" in parts:
                sweep_bench(url, cookie, plan, results)
            if "history" in parts:
                processes.prepare(url, "--reset")
                history_bench(name, url, cookie, plan, results, browse)
            browse = False  # the page's cost does not depend on the database: measure it once
        if "floor" in parts:
            floor_bench(plan, results)
    except KeyboardInterrupt:
        log("interrupted; stopping every process the bench started")
        raise SystemExit(130) from None
    finally:
        processes.stop_all()
    text = render(plan, results, time.monotonic() - started, command)
    print("\n" + text)
    doc_write(output, text)
    log(f"written to {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
