"""Across processes: a generator process's records reach a socket on a separate server process.

This is the path that lets rtviz run several daphne processes behind one Redis.
"""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from feeds.models import SpendRecord
from tests.conftest import ROOT, process_env, records_make, session_cookie

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
            live_ids += frame["records"]["columns"]["id"]

    assert history[-1]["count"] == 5
    stored = await sync_to_async(list)(SpendRecord.objects.values_list("id", flat=True))
    assert live_ids == sorted(stored)[5:]
