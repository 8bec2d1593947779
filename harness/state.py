"""What a daphne process started with DASHBOARD_TEST_HOOKS=1 holds for its sockets
(dashboard.state, through the test-only view): for the close-path tests and the soak."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request

from harness.daphne import Daphne

# What a socket must leave behind: nothing of each of these once it is gone.
HELD = (
    "open_sockets",
    "relay_members",
    "relay_queued",
    "socket_tasks",
    "access_watches",
    "access_tickers",
    "unacked_bytes",
)


def state_read(server: Daphne, *, timeout: float) -> dict:
    with urllib.request.urlopen(f"{server.url}/test-hooks/state/", timeout=timeout) as answer:  # noqa: S310 - our own server
        return json.load(answer)


async def released(server: Daphne, *, timeout: float, poll: float) -> dict:
    """The server's socket state once it holds nothing for any socket, or as it is after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        state = await asyncio.to_thread(state_read, server, timeout=timeout)
        if not any(state[key] for key in HELD) or time.monotonic() > deadline:
            return state
        await asyncio.sleep(poll)
