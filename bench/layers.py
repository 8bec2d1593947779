"""Channel layers side by side: channels-redis's RedisChannelLayer (lists and Lua) against its
RedisPubSubChannelLayer (publish/subscribe), on the same live load.

    python -m bench.layers [--clients 100] [--rate 200] [--seconds 10] [--idle-seconds 10]

One daphne (with its one live relay), SQLite bench database, generate_spend at `--rate`, the
bench's socket clients (bench.clients.Crowd) in this process. Reports what the clients received
(lost, p50/p99 commit-to-client latency), daphne's CPU per 1,000 records delivered, and the
Redis server's CPU over the run (Redis is shared on this machine: other work counts in it too);
first, daphne's CPU while one socket is open and nothing happens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys

from bench import processes
from bench.clients import socket_open
from bench.plan import DATABASES
from bench.run import live_run

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def redis_pid() -> int | None:
    """The local redis-server on port 6379, for its CPU time."""
    found = subprocess.run(["pgrep", "-f", "redis-server.*:6379"], capture_output=True, text=True)
    return int(found.stdout.split()[0]) if found.stdout.split() else None


def layer_run(layer: str, *, clients: int, rate: int, seconds: int, cookie: str) -> dict:
    url = DATABASES["SQLite"]
    env = {"CHANNEL_LAYER": layer, "REDIS_URL": REDIS_URL}
    processes.prepare(url, "--reset")
    server = processes.daphne_start(url, **env)
    redis = redis_pid()
    redis_cpu = processes.cpu_seconds(redis) if redis else float("nan")

    def go() -> int:
        generator = processes.start(
            [sys.executable, "manage.py", "generate_spend", "--rate", str(rate),
             "--count", str(rate * seconds)],
            processes.app_env(url, **env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        return processes.generator_result(generator)["written"]

    try:
        summary = asyncio.run(live_run(server.ws_url, cookie, clients, server.process.pid, go))
    finally:
        processes.stop(server.process)
    summary["redis_cpu_s"] = (processes.cpu_seconds(redis) - redis_cpu) if redis else float("nan")
    return summary


async def idle_cpu(layer: str, *, cookie: str, seconds: float) -> float:
    """daphne's CPU seconds over `seconds` with one socket open and nothing written."""
    url = DATABASES["SQLite"]
    server = processes.daphne_start(url, CHANNEL_LAYER=layer, REDIS_URL=REDIS_URL)
    try:
        async with socket_open(server.ws_url, cookie) as socket:
            while '"history_end"' not in await socket.recv():
                pass
            before = processes.cpu_seconds(server.process.pid)
            await asyncio.sleep(seconds)
            return processes.cpu_seconds(server.process.pid) - before
    finally:
        processes.stop(server.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    options = parser.parse_args()
    processes.WORK.mkdir(parents=True, exist_ok=True)
    (processes.WORK / "daphne.log").touch()
    url = DATABASES["SQLite"]
    cookie = str(processes.prepare(url, "--migrate", "--session")["cookie"])
    try:
        for layer in ("redis", "pubsub"):
            cpu = asyncio.run(idle_cpu(layer, cookie=cookie, seconds=options.idle_seconds))
            print(f"idle {layer}: {cpu:.2f} s daphne CPU in {options.idle_seconds:g} s", flush=True)
        for layer in ("redis", "pubsub"):
            result = layer_run(
                layer,
                clients=options.clients,
                rate=options.rate,
                seconds=options.seconds,
                cookie=cookie,
            )
            print(
                f"| {layer} | {options.clients} | {options.rate} | {result['written']} | "
                f"{result['lost']} | {result['p50']:.0f} / {result['p99']:.0f} ms | "
                f"{result['cpu_ms_per_1k']:.2f} ms | {result['redis_cpu_s']:.2f} s |",
                flush=True,
            )
    finally:
        processes.stop_all()


if __name__ == "__main__":
    main()
