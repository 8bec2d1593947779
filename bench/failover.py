"""Redis failover: how long from killing the master until dashboards are in step again.

    python -m bench.failover [--rounds 3] [--clients 2] [--rate 100] [--layer redis|pubsub]

A master, a replica and three sentinels (deploy/redis_sentinel.py), one daphne, generate_spend
at `--rate` records/s on a SQLite bench database, and socket clients that follow the page's
protocol: on a gap in positions they ask for a resync, on a close they reconnect with their
position after the page's backoff (0.5 s doubling to 5 s, with jitter), or after a flat
0.1 s — the best a consumer that re-joined the group by itself could do, since it too must
wait for the promotion and replay what it missed.

In step: every client holds every change the database had committed 0.25 s earlier (counting
only changes committed after the kill, which need Redis back or a replay to arrive).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import WebSocketException

from bench import processes
from bench.clients import socket_open
from bench.plan import DATABASES
from bench.processes import WORK
from deploy.redis_sentinel import master_kill, sentinel_set_start, sentinel_set_stop

LAG_ALLOWED = 0.25  # seconds of commits a client may not have yet and still be "in step"


def page_backoff(attempt: int) -> float:
    """static/dashboard/js/socket.js's retry()."""
    return min(5.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


def rejoin_backoff(attempt: int) -> float:
    return 0.1


@dataclass
class Follower:
    """A dashboard client: its position, kept through reconnects."""

    ws_url: str
    cookie: str
    backoff: Callable[[int], float]
    position: int = 0
    epoch: str | None = None
    closes: int = 0
    resyncs: int = 0

    async def run(self) -> None:
        attempt = 0
        while True:
            query = f"?epoch={self.epoch}&position={self.position}" if self.epoch else ""
            try:
                async with socket_open(self.ws_url + query, self.cookie) as socket:
                    resyncing = True
                    async for message in socket:
                        frame = json.loads(message)
                        if frame["type"] == "history_end":
                            self.position, self.epoch = frame["position"], frame["epoch"]
                            attempt, resyncing = 0, False
                        elif frame["type"] == "changes" and not resyncing:
                            if frame["from"] > self.position + 1:  # a gap: as the page does
                                resyncing = True
                                self.resyncs += 1
                                await socket.send(
                                    json.dumps(
                                        {
                                            "type": "resync",
                                            "epoch": self.epoch,
                                            "position": self.position,
                                        }
                                    )
                                )
                            else:
                                self.position = max(self.position, frame["to"])
            except (OSError, WebSocketException):
                pass
            self.closes += 1
            attempt += 1
            await asyncio.sleep(self.backoff(attempt))


def database_position(path: str) -> int:
    with sqlite3.connect(path, timeout=5) as db:
        row = db.execute("SELECT position FROM feeds_changesequence").fetchone()
    return row[0] if row else 0


async def in_step_after_kill(
    followers: list[Follower], kill: Callable[[], None], path: str
) -> float:
    """Seconds from the kill until every follower holds what was committed LAG_ALLOWED ago."""
    history: list[tuple[float, int]] = []  # (when, database position)
    before = await asyncio.to_thread(database_position, path)
    kill()
    killed = time.monotonic()
    while True:
        now = time.monotonic()
        history.append((now, await asyncio.to_thread(database_position, path)))
        # Only positions committed after the kill: those need Redis back (or a replay).
        after_kill = [p for t, p in history if killed <= t <= now - LAG_ALLOWED and p > before]
        if after_kill and all(f.position >= max(after_kill) for f in followers):
            return now - killed
        if now - killed > 120:
            raise RuntimeError("clients not in step 120 s after the kill")
        await asyncio.sleep(0.02)


async def round_run(
    *, clients: int, rate: int, backoff: Callable[[int], float], layer: str
) -> dict:
    url = DATABASES["SQLite"]
    path = url.removeprefix("sqlite:///")
    sentinels = sentinel_set_start(Path(tempfile.mkdtemp(prefix="rtviz-failover-")))
    try:
        env = sentinels.env(database=13) | {"CHANNEL_LAYER": layer}
        processes.prepare(url, "--migrate")
        cookie = str(processes.prepare(url, "--session")["cookie"])
        server = processes.daphne_start(url, **env)
        followers = [Follower(server.ws_url, cookie, backoff) for _ in range(clients)]
        tasks = [asyncio.create_task(f.run()) for f in followers]
        generator = processes.start(
            [processes.sys.executable, "manage.py", "generate_spend", "--rate", str(rate)],
            processes.app_env(url, **env),
            stdout=processes.subprocess.DEVNULL,
        )
        await asyncio.sleep(5)  # steady state
        seconds = await in_step_after_kill(followers, lambda: master_kill(sentinels), path)
        closes = sum(f.closes for f in followers)
        resyncs = sum(f.resyncs for f in followers)
        for task in tasks:
            task.cancel()
        processes.stop(generator)
        processes.stop(server.process)
        return {"seconds": seconds, "closes": closes, "resyncs": resyncs}
    finally:
        processes.stop_all()
        sentinel_set_stop(sentinels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--rate", type=int, default=100)
    parser.add_argument("--layer", choices=["redis", "pubsub"], default="redis")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop what it started, as on ^C
    WORK.mkdir(parents=True, exist_ok=True)
    for name, backoff in (
        ("page reconnect", page_backoff),
        ("re-join (0.1 s retry)", rejoin_backoff),
    ):
        runs = [
            asyncio.run(
                round_run(
                    clients=options.clients,
                    rate=options.rate,
                    backoff=backoff,
                    layer=options.layer,
                )
            )
            for _ in range(options.rounds)
        ]
        seconds = [run["seconds"] for run in runs]
        print(
            f"| {options.layer} | {name} | {options.clients} | {options.rate} | "
            f"{statistics.median(seconds):.2f} s | {min(seconds):.2f} to {max(seconds):.2f} s | "
            f"{statistics.median(run['closes'] for run in runs):g} | "
            f"{statistics.median(run['resyncs'] for run in runs):g} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
