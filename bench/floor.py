"""The floor: a bare `websockets` server pushing rtviz's own live frames (columnar, encoded
once per batch for every client) at a given rate — no Django, Channels, Redis or database.

    python -m bench.floor --rate 1000 --count 60000

Prints `port N`, answers every socket with a history_end frame, starts pushing when it reads
a line on stdin, prints the `Done:` line generate_spend prints, and exits at end of stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

from websockets.asyncio.server import ServerConnection, broadcast, serve

from dashboard.wire import batch_encode, frame_text, rows_columns
from feeds.units import RECORD_FIELDS, cents, epoch_ms

NAMES = ("Ben", "Jarrod", "Vijay", "Aziz")
PAY_TYPES = ("cash", "tab", "visa", "mastercard")
MAX_TICKS_PER_SECOND = 10  # as generate_spend


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100 + 99)).scaleb(-2)


def batch_frame(rng: random.Random, first_id: int, size: int) -> str:
    """One tick's records as the frame rtviz broadcasts, timestamped now (its 'commit')."""
    now = datetime.now(UTC)
    at = epoch_ms(now)
    rows = [
        (
            first_id + offset,
            rng.choice(NAMES),
            cents(money(rng, 1, 149)),
            rng.randint(2012, 2015),
            rng.choice(PAY_TYPES),
            rng.randint(1, 3),
            cents(money(rng, 30, 999)),
            cents(money(rng, 10, 99)),
            at,
            at,
        )
        for offset in range(size)
    ]
    last = first_id + size - 1
    changes = {"from": first_id, "to": last, "at": at}
    return frame_text("changes", **changes, records=batch_encode(rows_columns(rows, RECORD_FIELDS)))


async def main(rate: float, count: int) -> None:
    clients: set[ServerConnection] = set()
    end = frame_text("history_end", count=0, position=0, epoch="floor", mode="full")

    async def handler(socket: ServerConnection) -> None:
        clients.add(socket)
        try:
            await socket.send(end)
            await socket.wait_closed()
        finally:
            clients.discard(socket)

    loop = asyncio.get_running_loop()
    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"port {port}", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        rng = random.Random(1)
        batch = math.ceil(rate / MAX_TICKS_PER_SECOND)
        written = 0
        started = next_tick = time.monotonic()
        while written < count:
            size = min(batch, count - written)
            broadcast(clients, batch_frame(rng, written + 1, size))
            written += size
            next_tick += size / rate
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))
        elapsed = time.monotonic() - started
        print(f"Done: {written} records written ({written / elapsed:.1f}/s), ", flush=True)
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--count", type=int, required=True)
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(options.rate, options.count))
