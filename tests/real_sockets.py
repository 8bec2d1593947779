"""Helpers for tests that drive a real daphne process: start one with the test hooks on, open
sockets, read until the server closes, and read the process's socket state (dashboard.state)
through the test-only view."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from harness.state import HELD
from harness.state import released as harness_released
from tests.conftest import Server, server_start, session_cookie

WAIT = 20.0  # generous: the machine is shared


def start(hooked: list[Server], **env: str) -> Server:
    server = server_start(DASHBOARD_TEST_HOOKS="1", **env)
    hooked.append(server)
    return server


async def released(server: Server) -> dict:
    """The server's socket state once it holds nothing for any socket, or as it is after WAIT."""
    return await harness_released(server, timeout=WAIT, poll=0.1)


def assert_released(state: dict) -> None:
    assert {key: state[key] for key in HELD} == dict.fromkeys(HELD, 0)


def socket_open(server: Server, cookie: str | None = None, query: str = "") -> connect:
    headers = {"Cookie": cookie} if cookie else {}
    url = server.ws_url + (f"?{query}" if query else "")
    return connect(url, origin=server.url, additional_headers=headers, max_size=None)


@asynccontextmanager
async def sockets_live(server: Server, *cookies: str) -> AsyncIterator[list[ClientConnection]]:
    """A socket for each cookie, each read to its history's end (then live); closed after."""
    async with AsyncExitStack() as stack:
        sockets = [await stack.enter_async_context(socket_open(server, c)) for c in cookies]
        for socket_ in sockets:
            await until_type(socket_, "history_end")
        yield sockets


async def until_closed(socket_: ClientConnection) -> tuple[list[dict], int | None]:
    """Every frame up to the server's close, and the close code the client received."""
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(socket_.recv(), timeout=WAIT)))
    except ConnectionClosed:
        pass
    return frames, socket_.close_code


async def until_type(socket_: ClientConnection, frame_type: str) -> list[dict]:
    frames = []
    while True:
        frames.append(json.loads(await asyncio.wait_for(socket_.recv(), timeout=WAIT)))
        if frames[-1]["type"] == frame_type:
            return frames


async def cookie_of(user) -> str:
    return await sync_to_async(session_cookie)(user)
