"""Dashboard socket clients in one asyncio process: a single connect that times the history,
and a crowd of live clients that count every record they receive and its latency."""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

from dashboard.wire import batch_columns

CONNECT_TIMEOUT = 120.0
CONNECTS_AT_ONCE = 10  # a crowd connects in waves, as people open a page, not all in one tick


def headers(ws_url: str, cookie: str | None) -> dict[str, str]:
    parts = urlsplit(ws_url)
    origin = f"http://{parts.netloc}"
    return {"Origin": origin, **({"Cookie": cookie} if cookie else {})}


def socket_open(ws_url: str, cookie: str | None) -> connect:
    return connect(
        ws_url,
        additional_headers=headers(ws_url, cookie),
        max_size=None,
        open_timeout=CONNECT_TIMEOUT,
        ping_interval=None,
        compression=None,  # daphne does not negotiate permessage-deflate anyway
    )


@dataclass
class HistoryResult:
    seconds: float
    bytes: int
    frames: int
    count: int


async def history_connect(ws_url: str, cookie: str) -> HistoryResult:
    """Open a socket and read up to history_end: time from opening the connection, and the
    bytes of every frame received until then."""
    started = time.perf_counter()
    received = frames = 0
    async with socket_open(ws_url, cookie) as socket:
        async for message in socket:
            received += len(message)  # the frames are ASCII JSON: characters are bytes
            frames += 1
            if '"type":"history_end"' in message[:40]:
                seconds = time.perf_counter() - started
                end = json.loads(message)
                return HistoryResult(seconds, received, frames, end["count"])
    raise RuntimeError("the socket closed before history_end")


@dataclass
class LiveClient:
    """One dashboard's socket: records received (by id) and their latencies in ms."""

    ready: asyncio.Event = field(default_factory=asyncio.Event)
    seen: set[int] = field(default_factory=set)
    duplicates: int = 0
    latencies: array = field(default_factory=lambda: array("d"))  # from the commit (`at`)
    generated: array = field(default_factory=lambda: array("d"))  # from `created`
    error: str | None = None
    closing: bool = False
    position: int | None = None  # the last live position received, acknowledged by pings

    def take(self, message: str, now_ms: float) -> None:
        frame = json.loads(message)
        kind = frame["type"]
        if kind == "history_end":
            self.ready.set()
        if "to" in frame:
            self.position = frame["to"]
        if kind in ("changes", "records") and "records" in frame:
            columns = batch_columns(frame["records"])
            for record_id, created in zip(columns["id"], columns["created"], strict=True):
                self.count(record_id, frame.get("at", created), created, now_ms)
        elif kind == "record":  # the seed-style reference (bench.seed): one object a record
            self.count(frame["id"], frame["created"], frame["created"], now_ms)
        elif kind == "error":
            self.error = frame.get("code")

    def count(self, record_id: int, committed_ms: float, created_ms: float, now_ms: float) -> None:
        if record_id in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(record_id)
            self.latencies.append(now_ms - committed_ms)
            self.generated.append(now_ms - created_ms)


ACK_EVERY_S = 10.0  # as the page's heartbeat does


async def client_run(client: LiveClient, socket: ClientConnection) -> None:
    acked = time.monotonic()
    try:
        async for message in socket:
            client.take(message, time.time() * 1000)
            if client.position is not None and time.monotonic() - acked > ACK_EVERY_S:
                await socket.send(json.dumps({"type": "ping", "position": client.position}))
                acked = time.monotonic()
    except Exception as error:  # a dropped socket is a result to report, not a crash
        if not client.closing:
            client.error = repr(error)
        client.ready.set()


class Crowd:
    """N clients connected and live; `close()` ends them."""

    def __init__(self, ws_url: str, cookie: str | None, size: int) -> None:
        self.ws_url, self.cookie, self.size = ws_url, cookie, size
        self.clients = [LiveClient() for _ in range(size)]
        self.sockets: list[ClientConnection] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

        async def one(client: LiveClient) -> None:
            async with gate:
                socket = await socket_open(self.ws_url, self.cookie)
                self.sockets.append(socket)
                self.tasks.append(asyncio.create_task(client_run(client, socket)))
                await asyncio.wait_for(client.ready.wait(), CONNECT_TIMEOUT)

        await asyncio.gather(*(one(client) for client in self.clients))
        failed = [client.error for client in self.clients if client.error]
        if failed:
            raise RuntimeError(f"{len(failed)} clients failed to connect: {failed[0]}")

    async def close(self) -> None:
        for client in self.clients:
            client.closing = True
        for socket in self.sockets:
            await socket.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(share * len(values)))]


def crowd_summary(crowd: Crowd, written: int) -> dict[str, float]:
    """Delivered, lost and duplicated records per client, and latency percentiles (ms)."""
    delivered = sorted(len(client.seen) for client in crowd.clients)
    latencies = sorted(value for client in crowd.clients for value in client.latencies)
    generated = sorted(value for client in crowd.clients for value in client.generated)
    return {
        "clients": crowd.size,
        "written": written,
        "delivered_min": delivered[0],
        "delivered_median": delivered[len(delivered) // 2],
        "lost": sum(max(0, written - count) for count in delivered),
        "duplicated": sum(client.duplicates for client in crowd.clients),
        "errors": sum(1 for client in crowd.clients if client.error),
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
        "p50_generated": percentile(generated, 0.50),
    }
