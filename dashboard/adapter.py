"""The one override of Channels' consumer lifecycle, kept apart from what the socket does.

Live messages come from this process's relay (dashboard.relay) through a queue of the socket's
own, not from a channel-layer channel per socket; and whatever ends the socket — a close, a
client gone, an exception, a channel-layer failure, daphne cancelling an instance that took
too long to shut down — the `finally` leaves the relay, cancels the socket's tasks and
unregisters it from the process's state (dashboard.state), so nothing outlives it.
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

from dashboard.relay import LiveRelay, Queue, live_relay
from dashboard.state import STATE
from dashboard.wire import CLOSE_CHANNEL_LAYER_DOWN, CLOSE_INTERNAL_ERROR

# Daphne (autobahn) lets an application close with 1000 or 3000-4999 only; any other code
# becomes 1011 and an exception inside the server. docs/protocol.md lists ours.

logger = logging.getLogger(__name__)


class RelayedWebsocketConsumer(AsyncWebsocketConsumer):
    relay: LiveRelay | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: Queue = asyncio.Queue()  # live group messages, from the relay
        self.tasks: list[asyncio.Task[None]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # As AsyncConsumer.__call__, with the relay's queue in place of a channel of our own.
        self.scope, self.base_send = scope, send
        try:
            await await_many_dispatch([receive, self.live.get], self.dispatch)
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

    async def relay_join(self) -> None:
        """From here on, every live message reaches this socket's queue."""
        relay = live_relay()
        await relay.join(self.live)
        self.relay = relay

    def task_start(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """A background task that lives as long as the socket, at the longest."""
        self.tasks.append(STATE.task_start(coroutine))

    def release(self) -> None:
        # Synchronous, so that it completes even while the task is being cancelled.
        for task in self.tasks:
            task.cancel()
        if self.relay is not None:
            self.relay.leave(self.live)
        self.unregister()

    def unregister(self) -> None:
        """What the socket itself registered in dashboard.state (a subclass's)."""

    async def close_quietly(self, code: int) -> None:
        try:
            await self.base_send({"type": "websocket.close", "code": code})
        except Exception as error:  # the connection may already be gone
            logger.info("Could not close a failed dashboard socket: %s", error)
