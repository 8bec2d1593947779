"""Soak: many connects and disconnects of mixed kinds against one daphne, then idle sockets.

    python -m bench --soak [--soak-connects 2000] [--soak-idle 2000]

1. `connects` sockets, a quarter each: normal (history, a ping, a clean close), flood (100
   frames at once, half of them bad: the server closes 4029), abrupt (history, then the TCP
   connection dropped without a closing handshake) and never-reading (the upgrade sent,
   nothing read, reset after a while), 20 at a time, while generate_spend writes 20 records a
   second (2,000 in all: later histories then keep one size). Before and after: the server's
   RSS and what its state (dashboard.state, through the test-hook view) holds — open sockets,
   relay members, queued messages, tasks, unacked bytes.
2. `idle` sockets opened and left idle (each read to history_end): RSS per socket.

Writes its section of docs/benchmarks.md between the soak markers.
"""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench import processes
from bench.clients import headers
from bench.processes import WORK, Server
from bench.report import doc_write
from harness.daphne import process_stop
from harness.rawsocket import raw_websocket, read_until
from harness.redis import redis_start
from harness.state import HELD, released, state_read

START = "<!-- soak:start (written by `python -m bench --soak`; edit outside these markers) -->"
END = "<!-- soak:end -->"
KINDS = ("normal", "flood", "abrupt", "never-reading")
AT_ONCE = 20
NEVER_READING_SECONDS = 2.0
TIMEOUT = 60.0
DATABASE = f"sqlite:///{WORK}/soak.sqlite3"
# The state view; the per-user limits are lifted for every bench run (bench.processes.app_env).
SOAK_ENV = {"DASHBOARD_TEST_HOOKS": "1"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] soak: {message}", flush=True)


def rss_kb(server: Server) -> int:
    return processes.memory_kb(server.process.pid)["VmRSS"]


async def normal(server: Server, cookie: str) -> str:
    async with connect(server.ws_url, additional_headers=headers(server.ws_url, cookie)) as ws:
        while '"history_end"' not in await ws.recv():
            pass
        await ws.send('{"type": "ping"}')
        while '"pong"' not in await ws.recv():
            pass
    return "closed 1000"


async def flood(server: Server, cookie: str) -> str:
    async with connect(server.ws_url, additional_headers=headers(server.ws_url, cookie)) as ws:
        while '"history_end"' not in await ws.recv():
            pass
        with suppress(ConnectionClosed):
            for n in range(100):  # pings past the budget, and bad frames: the 10th refusal closes
                await ws.send('{"type": "ping"}' if n % 2 else "not json")
            while True:
                await ws.recv()
    return f"closed {ws.close_code}"


async def abrupt(server: Server, cookie: str) -> str:
    raw = await asyncio.to_thread(raw_websocket, server.port, cookie=cookie)
    try:
        await asyncio.to_thread(read_until, raw, b'"history_end"', timeout=TIMEOUT)
    finally:
        raw.close()
    return "dropped"


async def never_reading(server: Server, cookie: str) -> str:
    raw = await asyncio.to_thread(raw_websocket, server.port, cookie=cookie, rcvbuf=4096)
    await asyncio.sleep(NEVER_READING_SECONDS)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()  # with linger 0: a reset, the kernel's unread data discarded
    return "reset"


CLIENTS = {"normal": normal, "flood": flood, "abrupt": abrupt, "never-reading": never_reading}


async def churn(server: Server, cookie: str, connects: int) -> dict[str, dict[str, int]]:
    """`connects` sockets of the mixed kinds, AT_ONCE at a time; outcomes by kind."""
    # Raw sockets block in threads: one for each client at once, not the default few.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(AT_ONCE * 2))
    outcomes: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for n in range(connects):
        queue.put_nowait(KINDS[n % len(KINDS)])

    async def worker() -> None:
        while not queue.empty():
            kind = queue.get_nowait()
            try:
                outcome = await asyncio.wait_for(CLIENTS[kind](server, cookie), TIMEOUT)
            except Exception as error:  # a figure, not a crash
                outcome = type(error).__name__
            outcomes[kind][outcome] = outcomes[kind].get(outcome, 0) + 1

    await asyncio.gather(*(worker() for _ in range(AT_ONCE)))
    return outcomes


async def settled(server: Server) -> dict:
    """The server's state once it holds nothing for any socket, or after TIMEOUT."""
    return await released(server, timeout=TIMEOUT, poll=0.5)


async def idle_open(server: Server, cookie: str) -> object | None:
    """One socket read to history_end and left open, or None if it could not be opened."""
    try:
        ws = await connect(
            server.ws_url,
            additional_headers=headers(server.ws_url, cookie),
            ping_interval=None,
            open_timeout=TIMEOUT,  # a loaded machine: the default 10 s failed half of them
        )
        while '"history_end"' not in await asyncio.wait_for(ws.recv(), TIMEOUT):
            pass
    except Exception as error:  # a figure (the count opened), not a crash
        log(f"an idle socket failed to open: {type(error).__name__}: {error}")
        return None
    return ws


async def idle(server: Server, cookie: str, count: int) -> dict[str, float]:
    """RSS per socket with `count` sockets open and idle."""
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(AT_ONCE * 2))
    before = rss_kb(server)
    sockets: list = []
    try:
        for n in range(0, count, AT_ONCE):
            batch = min(AT_ONCE, count - n)
            sockets += await asyncio.gather(*(idle_open(server, cookie) for _ in range(batch)))
        await asyncio.sleep(2)
        held = await asyncio.to_thread(state_read, server, timeout=TIMEOUT)
        during = rss_kb(server)
    finally:
        opened = [ws for ws in sockets if ws is not None]
        await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    return {
        "sockets": held["open_sockets"],
        "failed": len(sockets) - len(opened),
        "rss_before_mb": before / 1024,
        "rss_open_mb": during / 1024,
        "kb_per_socket": (during - before) / max(held["open_sockets"], 1),
    }


def table(rows: list[tuple[str, object]]) -> str:
    return "\n".join(["| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def soak(*, connects: int, idle_sockets: int, output: Path) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    Path(f"{WORK}/soak.sqlite3").unlink(missing_ok=True)
    processes.prepare(DATABASE, "--migrate")
    cookie = str(processes.prepare(DATABASE, "--fill-to", "2000", "--session")["cookie"])
    redis, redis_url = redis_start()  # its own: no other run's live messages, nor ours in theirs
    server = processes.daphne_start(DATABASE, **SOAK_ENV, REDIS_URL=redis_url)
    generator = None
    try:
        asyncio.run(churn(server, cookie, 40))  # warm up: imports, caches, the relay
        baseline = asyncio.run(settled(server))
        rss_baseline = rss_kb(server)
        log(f"baseline {rss_baseline / 1024:.1f} MiB, {baseline}")
        # Live traffic for the first 100 s; bounded, so later histories stay the same size.
        generator = processes.generator_start(
            DATABASE, rate=20, count=2000, env={"REDIS_URL": redis_url}
        )
        started = time.monotonic()
        outcomes = asyncio.run(churn(server, cookie, connects))
        seconds = time.monotonic() - started
        processes.stop(generator)
        generator = None
        after = asyncio.run(settled(server))
        rss_peak_kb = processes.memory_kb(server.process.pid)["VmHWM"]
        rss_after = rss_kb(server)
        log(f"{connects} connects in {seconds:.0f} s: {outcomes}; after: {after}")
        idle_result = asyncio.run(idle(server, cookie, idle_sockets)) if idle_sockets else {}
        final = asyncio.run(settled(server))
        log(f"idle: {idle_result}; after closing them: {final}")
    finally:
        if generator is not None:
            processes.stop(generator)
        processes.stop(server.process)
        process_stop(redis)
    held_after = ", ".join(f"{key} {after[key]}" for key in HELD)
    rows: list[tuple[str, object]] = [
        ("connects (normal / flood / abrupt / never-reading)", f"{connects:,}, a quarter each"),
        ("outcomes by kind", "; ".join(f"{k}: {v}" for k, v in outcomes.items())),
        ("time for all connects, 20 at a time (2,000 live records at 20/s)", f"{seconds:.0f} s"),
        ("RSS at baseline (after 40 warm-up connects)", f"{rss_baseline / 1024:.1f} MiB"),
        ("RSS peak during the churn", f"{rss_peak_kb / 1024:.1f} MiB"),
        ("RSS after the churn (sockets released)", f"{rss_after / 1024:.1f} MiB"),
        ("held after the churn", held_after),
        ("server closes by reason (whole run)", after["closes"]),
    ]
    if idle_result:
        rows += [
            (
                "idle sockets open (server's count; failed to open)",
                f"{idle_result['sockets']:,}; {idle_result['failed']}",
            ),
            (
                "RSS before / with them open",
                f"{idle_result['rss_before_mb']:.1f} / {idle_result['rss_open_mb']:.1f} MiB",
            ),
            ("RSS per idle socket", f"{idle_result['kb_per_socket']:.1f} kB (target <= 64 kB)"),
            ("held after closing them", ", ".join(f"{key} {final[key]}" for key in HELD)),
        ]
    body = (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`python -m bench --soak --soak-connects {connects} --soak-idle {idle_sockets}` on the "
        "shared 2-core machine (other engineers' test runs alongside: noisy), one daphne, "
        "SQLite, 2,000 records of history.\n\n" + table(rows)
    )
    print("\n" + body)
    doc_write(output, body, start=START, end=END)
    log(f"written to {output}")
