"""The relay's pass over a process's sockets (dashboard.relay, dashboard.adapter): an idle socket
sends a live message there and then; one whose send has to wait (a server that holds sends back
for a slow client) must hold up neither the pass nor the other sockets, and its own later
messages must still go out after it, in order."""

from __future__ import annotations

import asyncio
from typing import Any

from dashboard.adapter import RelayedWebsocketConsumer, coroutine_finish
from dashboard.relay import LiveRelay

LIVE = "live.test"


class Socket(RelayedWebsocketConsumer):
    """The adapter with the smallest live send: it records what it sent, after `gate`."""

    syncing = False  # as after its history

    def __init__(self, gate: asyncio.Future[None] | None = None) -> None:
        super().__init__()
        self.gate, self.sent = gate, []

    def live_now_takes(self, message: dict[str, Any]) -> bool:
        return message["type"] == LIVE

    async def live_now(self, message: dict[str, Any]) -> tuple[int, int]:
        if self.gate is not None and not self.gate.done():
            await self.gate
        self.sent.append(message["n"])
        return 1, 10

    async def live_test(self, message: dict[str, Any]) -> None:  # queued: its own task
        self.sent.append(message["n"])


async def own_task_drain(socket: Socket) -> None:
    """What the socket's own task does with its queue (await_many_dispatch, in order)."""
    while not socket.live.empty():
        await socket.dispatch_next(socket.live.get_nowait())


async def test_a_waiting_send_holds_up_neither_the_pass_nor_the_other_sockets():
    gate = asyncio.get_running_loop().create_future()
    slow, idle = Socket(gate), Socket()
    relay = LiveRelay()
    relay.members |= {slow, idle}

    await asyncio.wait_for(relay.deliver({"type": LIVE, "n": 1}), timeout=5)
    await asyncio.wait_for(relay.deliver({"type": LIVE, "n": 2}), timeout=5)

    assert idle.sent == [1, 2]  # sent in the pass, nothing queued
    assert (idle.relay_queued(), slow.sent, slow.relay_queued()) == (0, [], 2)
    gate.set_result(None)
    await asyncio.wait_for(own_task_drain(slow), timeout=5)
    assert (slow.sent, slow.relay_queued()) == ([1, 2], 0)  # the first finished, then the next
    await asyncio.wait_for(relay.deliver({"type": LIVE, "n": 3}), timeout=5)
    assert (slow.sent, slow.relay_queued()) == ([1, 2, 3], 0)  # idle again: sent in the pass


async def test_a_syncing_socket_gets_live_messages_after_its_history_in_order():
    socket = Socket()
    socket.syncing = True
    relay = LiveRelay()
    relay.members.add(socket)

    await relay.deliver({"type": LIVE, "n": 1})
    socket.syncing = False  # its history is sent; message 1 still waits in its queue
    await relay.deliver({"type": LIVE, "n": 2})

    assert socket.sent == []  # 2 must not overtake 1
    await own_task_drain(socket)
    assert socket.sent == [1, 2]


async def test_a_coroutine_stepped_by_hand_is_finished_with_its_result_or_error():
    async def waits(future: asyncio.Future[int]) -> int:
        return await future + 1

    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    coroutine = waits(future)
    finished = asyncio.ensure_future(coroutine_finish(coroutine, coroutine.send(None)))
    future.set_result(41)
    assert await asyncio.wait_for(finished, timeout=5) == 42

    failing: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    coroutine = waits(failing)
    finished = asyncio.ensure_future(coroutine_finish(coroutine, coroutine.send(None)))
    failing.set_exception(ValueError("gone"))
    try:
        await asyncio.wait_for(finished, timeout=5)
    except ValueError as error:
        assert str(error) == "gone"
    else:
        raise AssertionError("the coroutine's own error should come out")
