"""Across processes: a generator process's records reach a socket on a separate server process.

This is the path that lets rtviz run several daphne processes behind one Redis.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from dashboard.wire import batch_columns
from feeds.models import SpendRecord
from harness.rawsocket import raw_websocket, read_until
from tests.conftest import (
    ROOT,
    process_env,
    records_make,
    server_start,
    server_stop,
    session_cookie,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


async def receive_until(socket, frame_type: str) -> list[dict]:
    frames = []
    while True:
        frames.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=20)))
        if frames[-1]["type"] == frame_type:
            return frames


async def test_generate_spend_in_one_process_reaches_a_socket_on_another(server, team_user):
    await sync_to_async(records_make)(5)
    cookie = await sync_to_async(session_cookie)(team_user)
    headers = {"Cookie": cookie}

    async with connect(server.ws_url, origin=server.url, additional_headers=headers) as socket:
        history = await receive_until(socket, "history_end")
        generator = await asyncio.create_subprocess_exec(
            sys.executable, "manage.py", "generate_spend", "--count", "6", "--rate", "20",
            "--batch", "2", cwd=ROOT, env=process_env(), stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert await generator.wait() == 0
        live_ids: list[int] = []
        while len(live_ids) < 6:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
            assert frame["type"] == "changes"
            live_ids += batch_columns(frame["records"])["id"]

    assert history[-1]["count"] == 5
    stored = await sync_to_async(list)(SpendRecord.objects.values_list("id", flat=True))
    assert live_ids == sorted(stored)[5:]


def stalled_socket(server, cookie: str) -> socket.socket:
    """A websocket client that reads until its history has ended, then never again."""
    raw = raw_websocket(server.port, cookie=cookie, rcvbuf=4096)
    read_until(raw, b'"history_end"', timeout=20)  # joined the live group: now it stalls
    return raw


async def recv(socket_) -> str:
    return await asyncio.wait_for(socket_.recv(), timeout=20)


def read_until_cut_off(raw: socket.socket) -> bytes:
    """What a stalled client finds when it finally reads: bytes up to the server's close or
    reset (a timeout, raised, means the server never let go of it)."""
    raw.settimeout(20)
    received = b""
    try:
        while chunk := raw.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


async def test_a_client_that_never_reads_is_dropped_and_the_others_stay_live(team_user):
    limit = 32 * 1024
    server = server_start(DASHBOARD_MAX_UNACKED_BYTES=str(limit))
    try:
        cookie = await sync_to_async(session_cookie)(team_user)
        stalled = stalled_socket(server, cookie)
        headers = {"Cookie": cookie}
        async with connect(server.ws_url, origin=server.url, additional_headers=headers) as socket_:
            await receive_until(socket_, "history_end")
            live_ids: list[int] = []
            live_bytes = 0
            for seed in range(20):  # 10,000 records in 20 batches of about 32 kB a frame
                await sync_to_async(records_make)(500, seed=seed)
                while (frame := json.loads(text := await recv(socket_)))["type"] != "changes":
                    continue
                live_ids += batch_columns(frame["records"])["id"]
                live_bytes += len(text)
                # Acknowledge, as the page's heartbeat does.
                await socket_.send(json.dumps({"type": "ping", "position": frame["to"]}))

        stored = await sync_to_async(list)(SpendRecord.objects.values_list("id", flat=True))
        assert sorted(live_ids) == sorted(stored)  # every record, once, to the live client
        # The stalled one was cut off near the limit: without it, the kernel's buffers alone
        # take some 260 kB of the ~600 kB before anything else lets go of the client.
        stream = await asyncio.to_thread(read_until_cut_off, stalled)
        assert len(stream) < 4 * limit
    finally:
        server_stop(server)
