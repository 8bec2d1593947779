"""The one override of Channels' consumer lifecycle, kept apart from what the socket does.

Live messages come from this process's relay (dashboard.relay), not from a channel-layer
channel per socket. The relay offers each message to the socket (`relay_deliver`): when the
socket is idle — its history sent, no resync under way, nothing of the relay's still queued —
the subclass sends it there and then (`live_now`), in the relay's turn of the event loop;
otherwise it waits in the socket's queue for the socket's own task, which keeps the frames in
order (a history's, then the live ones after it). Sending from the relay's pass spares every
socket-frame a wake-up of the socket's task, a queue get and Channels' `await_many_dispatch`
bookkeeping (a new task and an `asyncio.wait` per message), the largest share of a live
frame's server time after the framing itself (docs/benchmarks.md).

Whatever ends the socket — a close, a client gone, an exception, a channel-layer failure,
daphne cancelling an instance that took too long to shut down — the `finally` leaves the
relay, cancels the socket's tasks and unregisters it from the process's state
(dashboard.state), so nothing outlives it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch
from redis.exceptions import RedisError

from dashboard.daphne_send import DaphneSocket, daphne_socket
from dashboard.relay import RELAY_FAILED, LiveRelay, live_relay
from dashboard.state import STATE
from dashboard.wire import CLOSE_CHANNEL_LAYER_DOWN, CLOSE_INTERNAL_ERROR
from rtviz import metrics

# Daphne (autobahn) lets an application close with 1000 or 3000-4999 only; any other code
# becomes 1011 and an exception inside the server. docs/protocol.md lists ours.

logger = logging.getLogger(__name__)
LIVE_FAILED = "live.failed"  # a send from the relay's pass failed: the socket's task re-raises it
LIVE_REST = "live.rest"  # a send from the relay's pass had to wait: the socket's task finishes it
Queued = tuple[dict[str, Any], bool]  # a message for the socket's own task, and whether relayed


async def coroutine_finish(coroutine: Coroutine[Any, Any, Any], waiting: Any) -> Any:
    """Run to its end a coroutine that was stepped by hand (coroutine.send(None)) and yielded
    `waiting` — as an asyncio task would: wait for the future it yielded, then resume it (it
    reads the future's result or exception itself)."""
    try:
        while True:
            if waiting is None:  # a bare yield: asyncio.sleep(0)
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waiting])
            try:
                waiting = coroutine.send(None)
            except StopIteration as done:
                return done.value
    finally:
        coroutine.close()


class RelayedWebsocketConsumer(AsyncWebsocketConsumer):
    relay: LiveRelay | None = None
    # The socket's connection in daphne, which the relay's pass writes live frames to
    # directly (dashboard.daphne_send); None under another server: through ASGI.
    daphne: DaphneSocket | None = None
    # Until the history is sent (and during a resync), live messages wait in the queue.
    syncing = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: asyncio.Queue[Queued] = asyncio.Queue()  # for the socket's own task
        self.waiting = 0  # relayed messages queued and not yet handled by the socket's task
        self.tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # As AsyncConsumer.__call__, with the relay's queue in place of a channel of our own.
        self.scope, self.base_send = scope, send
        self.daphne = daphne_socket(scope)
        try:
            await await_many_dispatch([receive, self.live.get], self.dispatch_next)
        except StopConsumer:
            pass
        except Disconnected:
            # A send raced the client's leaving (daphne has not yet told us): nothing to close.
            STATE.closes["client_gone"] += 1
        except (OSError, RedisError) as error:
            # The channel layer (Redis) failed under this socket: close it, and the page
            # reconnects with its position and replays what it missed once Redis is back.
            logger.warning("Dashboard socket closed, the channel layer failed: %s", error)
            STATE.closes["channel_layer_down"] += 1
            await self.close_quietly(CLOSE_CHANNEL_LAYER_DOWN)
        except Exception:
            logger.exception("Dashboard socket failed")
            STATE.closes["internal_error"] += 1
            await self.close_quietly(CLOSE_INTERNAL_ERROR)
        finally:
            self.release()

    async def dispatch_next(self, item: dict[str, Any] | Queued) -> None:
        """A message from daphne (a dict), or one from the socket's queue (a tuple)."""
        if not isinstance(item, tuple):
            await self.dispatch(item)
            return
        message, relayed = item
        try:
            if message["type"] == LIVE_FAILED:
                raise message["error"]
            if message["type"] == LIVE_REST:
                frames, size = await message["rest"]
                metrics.live_frames_sent(frames=frames, size=size)
                return
            await self.dispatch(message)
        finally:
            if relayed:
                self.waiting -= 1

    def live_put(self, message: dict[str, Any], *, relayed: bool = False) -> None:
        """Queue a message for the socket's own task; while a relayed one waits, the relay
        sends nothing directly (it would overtake it)."""
        if relayed:
            self.waiting += 1
        self.live.put_nowait((message, relayed))

    async def relay_join(self) -> None:
        """From here on, every live message reaches this socket (queued until `syncing` ends)."""
        relay = live_relay()
        await relay.join(self)
        self.relay = relay

    def relay_deliver(self, message: dict[str, Any]) -> tuple[int, int]:
        """From the relay's pass (dashboard.relay.Member): send now when idle, else queue.

        `live_now` is run here by hand, not awaited: daphne's send never waits, so it ends
        within this call. A server whose send can wait for a slow client (uvicorn's, above
        its write buffer's high-water mark) must not hold up the relay's pass over the other
        sockets: the rest of that send is queued for the socket's own task, and the
        socket's later messages wait behind it."""
        if self.syncing or self.waiting or not self.live_now_takes(message):
            self.live_put(message, relayed=True)
            return 0, 0
        sending = self.live_now(message)
        try:
            waiting = sending.send(None)
        except StopIteration as done:
            return done.value
        except Disconnected:
            return 0, 0  # the client left: daphne tells the socket's task
        except Exception as error:  # the socket's own task handles it, as its own failure
            self.live_put({"type": LIVE_FAILED, "error": error}, relayed=True)
            return 0, 0
        self.live_put({"type": LIVE_REST, "rest": coroutine_finish(sending, waiting)}, relayed=True)
        return 0, 0

    def relay_lost(self) -> None:
        self.live_put({"type": RELAY_FAILED})

    def relay_queued(self) -> int:
        return self.waiting

    def live_now_takes(self, message: dict[str, Any]) -> bool:
        """Whether `live_now` may send this message from the relay's pass (a subclass's)."""
        return False

    async def live_now(self, message: dict[str, Any]) -> tuple[int, int]:
        """Send a live message from the relay's pass: no waiting on anything but the sends,
        and no StopConsumer (queue what must end the socket); the frames and bytes sent."""
        raise NotImplementedError

    def task_start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """A background task that lives as long as the socket, at the longest."""
        self.tasks.append(STATE.task_start(coroutine))

    def release(self) -> None:
        # Synchronous, so that it completes even while the task is being cancelled.
        for task in self.tasks:
            task.cancel()
        while not self.live.empty():  # a send left half done by the relay's pass, never finished
            message, _ = self.live.get_nowait()
            if message["type"] == LIVE_REST:
                message["rest"].close()
        if self.relay is not None:
            self.relay.leave(self)
        self.unregister()

    def unregister(self) -> None:
        """What the socket itself registered in dashboard.state (a subclass's)."""

    async def close_quietly(self, code: int) -> None:
        try:
            await self.base_send({"type": "websocket.close", "code": code})
        except Exception as error:  # the connection may already be gone
            logger.info("Could not close a failed dashboard socket: %s", error)
