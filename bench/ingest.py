"""Real spend in: API ingest records/s at batches of 1, 100 and 1,000 beside generate_spend's
rate; the p99 of a 100-record POST while 100 dashboards are live; import_spend of a large CSV
(records/s, peak RSS).

    python -m bench --ingest [--db sqlite|postgres] [--import-rows N] [--quick]

Prints markdown tables (docs/benchmarks.md keeps a run's figures by hand, with the machine).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from bench import processes
from bench.clients import Crowd, percentile
from bench.processes import WORK

BATCHES = {1: 300, 100: 40, 1000: 10}  # batch size: requests
QUICK_BATCHES = {1: 50, 100: 10, 1000: 3}
LATENCY_REQUESTS = 200
DASHBOARDS = 100
# The records generate_spend makes (feeds.generator: its people, every pay type, the same
# value ranges), so that the API and the generator store the same kind of batch and only the
# path differs: more people or pay types spread a batch over more spend cells, the larger
# part of a write's cost (docs/benchmarks.md). tests/test_bench_ingest.py keeps them equal.
NAMES = ("Ben", "Jarrod", "Vijay", "Aziz")
PAY_TYPES = ("cash", "tab", "visa", "mastercard", "bitcoin")


def row(rng: random.Random) -> dict[str, object]:
    return {
        "name": rng.choice(NAMES),
        "spent": f"{rng.randint(100, 14999) / 100:.2f}",
        "year": rng.randint(2012, 2015),
        "pay_type": rng.choice(PAY_TYPES),
        "quantity": rng.randint(1, 3),
        "total": f"{rng.randint(3000, 99999) / 100:.2f}",
        "tip": f"{rng.randint(1000, 9999) / 100:.2f}",
    }


def token_make(url: str) -> str:
    """An API token in the bench database (a Django process of its own)."""
    code = (
        "import django; django.setup(); from feeds.tokens import token_create; "
        "import secrets; print(token_create(name='bench-' + secrets.token_hex(4), "
        "scopes=['records:write', 'records:read'])[1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=processes.ROOT,
        env=processes.app_env(url),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


class Client:
    """One kept-alive HTTP connection, as an integration would use."""

    def __init__(self, port: int, key: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, rows: list[dict[str, object]]) -> float:
        body = json.dumps({"records": rows})
        started = time.perf_counter()
        self.connection.request("POST", "/api/v1/records", body, self.headers)
        response = self.connection.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(f"POST answered {response.status}")
        return time.perf_counter() - started


def api_rates(port: int, key: str, batches: dict[int, int]) -> dict[int, float]:
    rng = random.Random(1)
    client = Client(port, key)
    rates = {}
    for size, requests in batches.items():
        bodies = [[row(rng) for _ in range(size)] for _ in range(requests)]
        started = time.perf_counter()
        for rows in bodies:
            client.post(rows)
        rates[size] = size * requests / (time.perf_counter() - started)
    return rates


async def crowd_open(server: processes.Server, cookie: str) -> Crowd:
    """100 live dashboards; on a loaded machine a handshake can time out: one more try."""
    for attempt in range(2):
        crowd = Crowd(server.ws_url, cookie, DASHBOARDS)
        try:
            await crowd.open()
            return crowd
        except Exception:
            await crowd.close()
            if attempt:
                raise
            await asyncio.sleep(5)
    raise AssertionError("unreachable")


async def latency_with_dashboards(server: processes.Server, key: str, cookie: str, n: int) -> dict:
    crowd = await crowd_open(server, cookie)
    try:
        rng = random.Random(2)
        client = Client(server.port, key)
        bodies = [[row(rng) for _ in range(100)] for _ in range(n)]
        loop = asyncio.get_running_loop()
        cpu = processes.cpu_seconds(server.process.pid)
        times = await loop.run_in_executor(None, lambda: sorted(client.post(b) for b in bodies))
        cpu = processes.cpu_seconds(server.process.pid) - cpu
    finally:
        await crowd.close()
    return {
        "p50": percentile(times, 0.5) * 1000,
        "p99": percentile(times, 0.99) * 1000,
        "max": times[-1] * 1000,
        # What the server itself spends on a request and its frames to the dashboards: on a
        # shared machine the wall times above are mostly waiting for a core.
        "cpu": cpu / n * 1000,
    }


def csv_write(path: Path, rows: int) -> None:
    rng = random.Random(3)
    with path.open("w") as out:
        out.write("external_id,name,spent,year,pay_type,quantity,total,tip\n")
        for index in range(rows):
            r = row(rng)
            out.write(
                f"r{index},{r['name']},{r['spent']},{r['year']},{r['pay_type']},"
                f"{r['quantity']},{r['total']},{r['tip']}\n"
            )


def import_run(url: str, path: Path, rows: int) -> dict[str, float]:
    """import_spend in its own process: records/s and its peak RSS, read from its own
    /proc VmHWM (wait4's ru_maxrss would include this process's size at fork)."""
    process = processes.start(
        [sys.executable, "manage.py", "import_spend", str(path)],  # its default batch
        processes.app_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    started = time.perf_counter()
    peak_kb = 0
    while process.poll() is None:
        try:
            peak_kb = max(peak_kb, processes.memory_kb(process.pid)["VmHWM"])
        except (FileNotFoundError, KeyError, ProcessLookupError):
            break
        time.sleep(0.1)
    _, errors = process.communicate()
    elapsed = time.perf_counter() - started
    processes.running.remove(process)
    if process.returncode:
        raise RuntimeError(f"import_spend failed: {errors[-2000:]}")
    return {"rate": rows / elapsed, "seconds": elapsed, "peak_mb": peak_kb / 1024}


def database_fresh(name: str, url: str) -> None:
    """A fresh bench database: the one in `url` (RTVIZ_BENCH_PG_URL may name another than
    bench.plan's, so that two checkouts can bench at once)."""
    if name == "SQLite":
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg

    database = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{database}"')


def run(databases: dict[str, str], *, quick: bool, import_rows: int) -> str:
    from bench.run import log, redis_flush

    processes.REDIS_URL = os.environ.get("RTVIZ_BENCH_REDIS_URL", processes.REDIS_URL)
    if "PostgreSQL" in databases and os.environ.get("RTVIZ_BENCH_PG_URL"):
        databases = {**databases, "PostgreSQL": os.environ["RTVIZ_BENCH_PG_URL"]}
    os.environ["API_REQUESTS_PER_MINUTE"] = str(10**9)  # measure the API, not its rate limit
    batches = QUICK_BATCHES if quick else BATCHES
    latency_requests = 20 if quick else LATENCY_REQUESTS
    rates_table, latency_table, import_table = [], [], []
    WORK.mkdir(parents=True, exist_ok=True)
    csv_path = WORK / f"import-{import_rows}.csv"
    if not csv_path.exists():
        csv_write(csv_path, import_rows)
    for name, url in databases.items():
        log(f"{name}: fresh bench database (ingest)")
        database_fresh(name, url)
        redis_flush()
        cookie = str(processes.prepare(url, "--migrate", "--session")["cookie"])
        key = token_make(url)
        count = 5000 if quick else 20_000
        generator = processes.generator_start(url, rate=100_000, count=count)
        generated = processes.generator_result(generator)["rate"]
        # The same write path at the API's batch of 1,000: the API's own cost, batch for batch.
        generator = processes.generator_start(
            url, rate=100_000, count=count, extra=("--batch", "1000")
        )
        generated_1000 = processes.generator_result(generator)["rate"]
        server = processes.daphne_start(url)
        try:
            rates = api_rates(server.port, key, batches)
            log(f"{name}: API { ({k: round(v) for k, v in rates.items()}) } records/s")
            latency = asyncio.run(latency_with_dashboards(server, key, cookie, latency_requests))
            log(f"{name}: batch 100 with {DASHBOARDS} dashboards: {latency}")
        finally:
            processes.stop(server.process)
        top = rates[max(batches)]
        rates_table.append(
            [
                name,
                *(f"{rates[size]:,.0f}" for size in batches),
                f"{generated:,.0f}",
                f"{generated_1000:,.0f}",
                f"{top / generated:.0%} / {top / generated_1000:.0%}",
            ]
        )
        latency_table.append(
            [
                name,
                latency_requests,
                *(f"{latency[k]:.0f}" for k in ("p50", "p99", "max")),
                f"{latency['cpu']:.1f}",
            ]
        )
        imported = import_run(url, csv_path, import_rows)
        log(f"{name}: import {imported}")
        import_table.append(
            [name, f"{import_rows:,}", f"{imported['rate']:,.0f}", f"{imported['peak_mb']:.0f}"]
        )
    return "\n\n".join(
        [
            table(
                [
                    "database",
                    *(f"API batch {s}" for s in batches),
                    "generate_spend (its batch: 5,000)",
                    "generate_spend --batch 1000",
                    f"API batch {max(batches)} / each",
                ],
                rates_table,
            ),
            table(
                ["database", "requests", "p50 ms", "p99 ms", "max ms", "daphne CPU ms/request"],
                latency_table,
            ),
            table(["database", "rows", "records/s", "peak RSS MB"], import_table),
        ]
    )


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(str, cells)) + " |" for cells in rows]
    return "\n".join(lines)
