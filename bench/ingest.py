"""Real spend in: API ingest records/s at batches of 1, 100 and 1,000 beside generate_spend's
rate (at 1,000, in alternating rounds on the same database: the medians); the p99 of a
100-record POST while 100 dashboards are live; import_spend of a large CSV (records/s, peak
RSS).

    python -m bench --ingest [--db sqlite|postgres] [--import-rows N] [--quick]

Prints markdown tables (docs/benchmarks.md keeps a run's figures by hand, with the machine).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import processes
from bench.clients import Crowd, percentile
from bench.processes import WORK

BATCHES = {1: 300, 100: 40}  # batch size: requests, timed once
QUICK_BATCHES = {1: 50, 100: 10}
# The API at batch 1,000 against generate_spend: in alternating rounds on the same database
# (its size and kept cell sizes then the same for both), each round generate_spend at its own
# batch, the API, generate_spend at the API's batch; the medians over the rounds. A round
# times ROUND_RECORDS of each (a second or two): one round alone swings with the machine.
TOP_BATCH = 1000
ROUNDS, QUICK_ROUNDS = 5, 2
ROUND_RECORDS, QUICK_ROUND_RECORDS = 20_000, 5_000
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


def api_rate(client: Client, rng: random.Random, *, size: int, requests: int) -> float:
    """Records/s of `requests` POSTs of `size` records, one after another (bodies made first)."""
    bodies = [[row(rng) for _ in range(size)] for _ in range(requests)]
    started = time.perf_counter()
    for rows in bodies:
        client.post(rows)
    return size * requests / (time.perf_counter() - started)


def generator_rate(url: str, *, count: int, batch: int | None = None) -> float:
    """generate_spend's own rate (its `Done:` line), at its own batch or at `batch`."""
    extra = () if batch is None else ("--batch", str(batch))
    generator = processes.generator_start(url, rate=100_000, count=count, extra=extra)
    return processes.generator_result(generator)["rate"]


def rounds_run(url: str, client: Client, *, rounds: int, records: int) -> dict[str, list[float]]:
    """Alternating rounds: generate_spend (its batch), the API at TOP_BATCH, generate_spend
    at TOP_BATCH; each a list of records/s, one a round."""
    rng = random.Random(4)
    rates: dict[str, list[float]] = {"generate": [], "api": [], "generate_top": []}
    for _ in range(rounds):
        rates["generate"].append(generator_rate(url, count=records))
        rates["api"].append(api_rate(client, rng, size=TOP_BATCH, requests=records // TOP_BATCH))
        rates["generate_top"].append(generator_rate(url, count=records, batch=TOP_BATCH))
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
        server = processes.daphne_start(url)
        try:
            client, rng = Client(server.port, key), random.Random(1)
            rates = {
                size: api_rate(client, rng, size=size, requests=requests)
                for size, requests in batches.items()
            }
            log(f"{name}: API { ({k: round(v) for k, v in rates.items()}) } records/s")
            rounds = rounds_run(
                url,
                client,
                rounds=QUICK_ROUNDS if quick else ROUNDS,
                records=QUICK_ROUND_RECORDS if quick else ROUND_RECORDS,
            )
            log(f"{name}: rounds { ({k: [round(v) for v in vs] for k, vs in rounds.items()}) }")
            latency = asyncio.run(latency_with_dashboards(server, key, cookie, latency_requests))
            log(f"{name}: batch 100 with {DASHBOARDS} dashboards: {latency}")
        finally:
            processes.stop(server.process)
        medians = {kind: statistics.median(values) for kind, values in rounds.items()}
        pairs = zip(rounds["api"], rounds["generate"], strict=True)
        each = [api / generated for api, generated in pairs]
        rates_table.append(
            [
                name,
                *(f"{rates[size]:,.0f}" for size in batches),
                f"{medians['api']:,.0f}",
                f"{medians['generate']:,.0f}",
                f"{medians['generate_top']:,.0f}",
                f"{medians['api'] / medians['generate']:.0%} ({min(each):.0%} to {max(each):.0%})"
                f" / {medians['api'] / medians['generate_top']:.0%}",
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
                    f"API batch {TOP_BATCH:,} (median of rounds)",
                    "generate_spend (its batch: 5,000)",
                    f"generate_spend --batch {TOP_BATCH}",
                    f"API {TOP_BATCH:,} / generate_spend (rounds' range) / at batch {TOP_BATCH:,}",
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
