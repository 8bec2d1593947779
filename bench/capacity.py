"""Capacity: the most dashboards served at `--rate` records/s with 0 lost and p99 <= 250 ms,
for rtviz with 1 daphne process, rtviz with 3 behind nginx, and the floor (bench/floor.py).

    python -m bench.capacity [--rate 1000] [--seconds 10] [--dashboards 100,300,500,1000]
                             [--workers 4] [--targets one,cluster,floor[,uvicorn]]
                             [--all-sizes] [--profile]

Each target steps up the dashboards and stops after the first size that fails (--all-sizes
goes on); each row is printed as it is measured, with the load average at its end. Redis is
RTVIZ_BENCH_REDIS_URL's db (13 by default), the scratch files RTVIZ_BENCH_DIR's. --profile
samples every server process with py-spy while the records flow (bench/requirements.txt) into
RTVIZ_BENCH_DIR/profile-TARGET-DASHBOARDS-PID.txt, collapsed stacks (docs/benchmarks.md).

The socket clients are spread over `--workers` processes (python -m bench.capacity --worker),
so that one client process is not the limit; their CPU is reported beside the servers'. Each
worker prints `ready` once its crowd is live, waits for `stop`, drains, and prints its results:
records delivered per client and a 1 ms latency histogram, merged here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import processes
from bench.clients import Crowd
from bench.plan import DATABASES
from bench.processes import REDIS_URL, WORK
from deploy.cluster import cluster_env, cluster_start, cluster_stop, free_ports, wait_until_ok

DRAIN_SECONDS = 2.0  # the crowd is done once nothing new arrived for this long
DRAIN_LIMIT_SECONDS = 60.0  # and waits no longer: what is still missing then counts as lost
P99_LIMIT_MS = 250.0


async def worker(ws_url: str, cookie: str, size: int) -> None:
    crowd = Crowd(ws_url, cookie or None, size)
    await crowd.open()
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await drain(crowd)
    await crowd.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    latencies = Counter(int(value) for c in crowd.clients for value in c.latencies)
    print(
        json.dumps(
            {
                "delivered": [len(client.seen) for client in crowd.clients],
                "duplicates": sum(client.duplicates for client in crowd.clients),
                "errors": sum(1 for client in crowd.clients if client.error),
                "latency_ms": latencies,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        ),
        flush=True,
    )


async def drain(crowd: Crowd) -> None:
    """After the last record is written: wait until the records stop arriving, so that an
    overloaded server's late deliveries count as late (in the p99), not as lost."""
    started = time.monotonic()
    seen, quiet_since = -1, started
    while time.monotonic() - started < DRAIN_LIMIT_SECONDS:
        now_seen = sum(len(client.seen) for client in crowd.clients)
        if now_seen != seen:
            seen, quiet_since = now_seen, time.monotonic()
        elif time.monotonic() - quiet_since >= DRAIN_SECONDS:
            return
        await asyncio.sleep(0.25)


def percentile(histogram: Counter[int], share: float) -> float:
    total = sum(histogram.values())
    if not total:
        return float("nan")
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= share * total:
            return float(value)
    return float(max(histogram))


def profile_start(pids: list[int], name: str) -> list[subprocess.Popen[str]]:
    """py-spy (bench/requirements.txt) sampling each server process while the load runs:
    collapsed stacks in RTVIZ_BENCH_DIR/profile-NAME-PID.txt (one line a stack and its count)."""
    return [
        processes.start(
            [
                shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy",
                "record",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--nonblocking",
                "--gil",
                "--format",
                "raw",
                "--output",
                str(WORK / f"profile-{name}-{pid}.txt"),
            ],
            dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def passes(row: dict) -> bool:
    return row["lost"] == 0 and row["p99"] <= P99_LIMIT_MS


def row_print(label: str, rate: int, row: dict) -> None:
    cpu = row["server_cpu_ms_per_1k"]
    print(
        f"| {label} | {row['dashboards']} | {rate} | {row['lost']} | "
        f"{row['p50']:.0f} / {row['p99']:.0f} ms | "
        f"{'-' if cpu is None else f'{cpu:.2f} ms'} | {row['server_cpu_s']:.1f} s | "
        f"{row['harness_cpu_s']:.1f} s | {row['load']:.1f} | {'yes' if passes(row) else 'no'} |",
        flush=True,
    )


def ladder(options: argparse.Namespace, measure: Callable[[int], dict]) -> list[dict]:
    """Measure each number of dashboards in turn, printing each row as it comes; past the
    first that fails (lost records or p99 over the limit) larger crowds are not tried,
    unless --all-sizes (they could only fail, and each costs minutes at full size)."""
    rows = []
    for dashboards in options.dashboards:
        try:
            row = measure(dashboards) | {"load": os.getloadavg()[0]}
        except RuntimeError as error:  # the crowd could not connect: this size is not served
            print(f"| {options.label} | {dashboards} | failed: {error} |", flush=True)
            break
        row_print(options.label, options.rate, row)
        rows.append(row)
        if not passes(row) and not options.all_sizes:
            break
    return rows


def crowd_run(
    ws_url: str,
    cookie: str,
    dashboards: int,
    workers: int,
    pids: list[int],
    go: Callable[[], int],
    profile: str = "",
    before: Callable[[], object] | None = None,
) -> dict:
    """Connect `dashboards` clients over `workers` processes, run `go` (returns records
        written), and merge what they received; with `profile`, py-spy samples the servers. `before`
    runs first: rtviz empties its records, so that a crowd's connects do not each send the
    previous step's records as history (at 1,000 dashboards, minutes of it)."""
    if before is not None:
        before()
    sizes = [dashboards // workers + (i < dashboards % workers) for i in range(workers)]
    crowd = [
        processes.start(
            [sys.executable, "-m", "bench.capacity", "--worker", ws_url, cookie, str(size)],
            {**processes.app_env(DATABASES["SQLite"]), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for size in sizes
        if size
    ]
    try:
        for process in crowd:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError("a client worker failed to connect its crowd")
        cpu_before = sum(processes.cpu_seconds(pid) for pid in pids)
        spies = profile_start(pids, f"{profile}-{dashboards}") if profile else []
        written = go()
        for spy in spies:  # py-spy writes its file on Ctrl-C
            processes.stop(spy, timeout=30)
        for process in crowd:
            assert process.stdin is not None
            process.stdin.write("stop\n")
            process.stdin.flush()
        results = [json.loads(process.stdout.readline()) for process in crowd]  # type: ignore[union-attr]
        server_cpu = sum(processes.cpu_seconds(pid) for pid in pids) - cpu_before
        for process in crowd:  # done: let it exit by itself, not by stop()'s SIGINT
            processes.wait_gone(process, timeout=30)
    finally:
        for process in crowd:
            processes.stop(process)
    delivered = [count for result in results for count in result["delivered"]]
    histogram: Counter[int] = Counter()
    for result in results:
        histogram.update({int(k): v for k, v in result["latency_ms"].items()})
    total_delivered = sum(delivered)
    return {
        "dashboards": dashboards,
        "written": written,
        "lost": sum(max(0, written - count) for count in delivered),
        "duplicated": sum(result["duplicates"] for result in results),
        "errors": sum(result["errors"] for result in results),
        "p50": percentile(histogram, 0.50),
        "p99": percentile(histogram, 0.99),
        "server_cpu_ms_per_1k": server_cpu * 1e6 / total_delivered if total_delivered else None,
        "harness_cpu_s": sum(result["cpu"] for result in results),
        "server_cpu_s": server_cpu,
    }


def rtviz_go(url: str, env: dict[str, str], rate: int, seconds: int) -> Callable[[], int]:
    def go() -> int:
        generator = processes.start(
            [
                sys.executable,
                "manage.py",
                "generate_spend",
                "--rate",
                str(rate),
                "--count",
                str(rate * seconds),
            ],
            processes.app_env(url, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return processes.generator_result(generator)["written"]

    return go


def target_one(url: str, cookie: str, options: argparse.Namespace) -> list[dict]:
    env = {"REDIS_URL": REDIS_URL}
    server = processes.daphne_start(url, **env)
    try:
        go = rtviz_go(url, env, options.rate, options.seconds)
        return ladder(
            options,
            lambda n: crowd_run(
                server.ws_url,
                cookie,
                n,
                options.workers,
                [server.process.pid],
                go,
                profile=options.profile and "one",
                before=lambda: processes.prepare(url, "--reset"),
            ),
        )
    finally:
        processes.stop(server.process)


def target_cluster(url: str, cookie: str, options: argparse.Namespace) -> list[dict]:
    scratch = Path(tempfile.mkdtemp(prefix="rtviz-capacity-"))
    env = cluster_env(scratch=scratch, database_url=url, redis_env={"REDIS_URL": REDIS_URL})
    bench_env = processes.app_env(url)
    env |= {key: bench_env[key] for key in ("SECRET_KEY", "SECURE_COOKIES", "STATIC_ROOT")}
    # Every client is the one bench user: the per-user socket and connect limits lifted, as
    # for one process (bench.processes.app_env), or a crowd past 20 is refused (4429).
    env |= {key: value for key, value in bench_env.items() if key.startswith("DASHBOARD_")}
    env["RTVIZ_LOG_LEVEL"] = "WARNING"
    (WORK / "static").mkdir(parents=True, exist_ok=True)
    cluster = cluster_start(
        scratch=scratch, env=env, port=free_ports(1)[0], web_ports=free_ports(3)
    )
    try:
        pids = [process.pid for process in cluster.webs.values()] + [cluster.others[0].pid]
        ws_url = f"ws://127.0.0.1:{cluster.port}/ws/dashboard/"
        go = rtviz_go(url, {"REDIS_URL": REDIS_URL}, options.rate, options.seconds)
        return ladder(
            options,
            lambda n: crowd_run(
                ws_url,
                cookie,
                n,
                options.workers,
                pids,
                go,
                profile=options.profile and "cluster",
                before=lambda: processes.prepare(url, "--reset"),
            ),
        )
    finally:
        cluster_stop(cluster)


def target_floor(url: str, cookie: str, options: argparse.Namespace) -> list[dict]:
    return ladder(options, lambda dashboards: floor_run(url, dashboards, options))


def floor_run(url: str, dashboards: int, options: argparse.Namespace) -> dict:
    """One step of the floor's ladder, on a floor server of its own (it pushes `count`)."""
    count = options.rate * options.seconds
    floor = processes.start(
        [
            sys.executable,
            "-m",
            "bench.floor",
            "--rate",
            str(options.rate),
            "--count",
            str(count),
        ],
        {**processes.app_env(url), "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert floor.stdin is not None and floor.stdout is not None
    port = int(floor.stdout.readline().split()[1])

    def go(floor: subprocess.Popen[str] = floor) -> int:
        floor.stdin.write("go\n")  # type: ignore[union-attr]
        floor.stdin.flush()  # type: ignore[union-attr]
        return int(floor.stdout.readline().split()[1])  # type: ignore[union-attr]

    try:
        return crowd_run(
            f"ws://127.0.0.1:{port}/",
            "",
            dashboards,
            options.workers,
            [floor.pid],
            go,
            profile=options.profile and "floor",
        )
    finally:
        floor.stdin.close()
        processes.stop(floor)


def target_uvicorn(url: str, cookie: str, options: argparse.Namespace) -> list[dict]:
    """rtviz under uvicorn (one process, its sans-I/O websockets implementation), for the
    daphne comparison: the same app, settings and load."""
    env = {"REDIS_URL": REDIS_URL}
    (port,) = free_ports(1)
    server = processes.start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "rtviz.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--ws",
            options.uvicorn_ws,
            "--ws-max-size",
            str(2**20),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        processes.app_env(url, **env),
    )
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/healthz", server)
        go = rtviz_go(url, env, options.rate, options.seconds)
        ws_url = f"ws://127.0.0.1:{port}/ws/dashboard/"
        return ladder(
            options,
            lambda n: crowd_run(
                ws_url,
                cookie,
                n,
                options.workers,
                [server.pid],
                go,
                profile=options.profile and "uvicorn",
                before=lambda: processes.prepare(url, "--reset"),
            ),
        )
    finally:
        processes.stop(server)


TARGETS = {
    "one": ("rtviz, 1 daphne", target_one),
    "cluster": ("rtviz, 3 daphne + nginx", target_cluster),
    "floor": ("floor (bare websockets)", target_floor),
    "uvicorn": ("rtviz, 1 uvicorn", target_uvicorn),
}


def main(argv: list[str]) -> None:
    if argv[:1] == ["--worker"]:
        asyncio.run(worker(argv[1], argv[2], int(argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--dashboards", default="100,300,500,1000")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--targets", default="one,cluster,floor")
    parser.add_argument(
        "--all-sizes", action="store_true", help="go on past the first size that fails"
    )
    parser.add_argument("--uvicorn-ws", default="websockets-sansio")
    parser.add_argument(
        "--profile",
        action="store_const",
        const="profile",
        default="",
        help="sample the servers with py-spy (bench/requirements.txt) into RTVIZ_BENCH_DIR",
    )
    options = parser.parse_args(argv)
    options.dashboards = [int(n) for n in options.dashboards.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "daphne.log").touch()
    url = DATABASES["SQLite"]
    cookie = str(processes.prepare(url, "--migrate", "--session")["cookie"])
    started = time.monotonic()
    print(
        "| target | dashboards | records/s | lost | p50 / p99 | server CPU per 1,000 delivered "
        "| server CPU | harness CPU | load average | 0 lost and p99 <= 250 ms |\n"
        "|---|---|---|---|---|---|---|---|---|---|",
        flush=True,
    )
    summary = []
    try:
        for key in options.targets.split(","):
            options.label, run = TARGETS[key]
            rows = run(url, cookie, options)
            passing = [row["dashboards"] for row in rows if passes(row)]
            summary.append(
                f"capacity {options.label}: {max(passing) if passing else 0} dashboards "
                f"(largest tried {max((row['dashboards'] for row in rows), default=0)})"
            )
        print("\n".join(summary), flush=True)
    finally:
        processes.stop_all()
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
