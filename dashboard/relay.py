"""One subscription to the live group per process, handing each change to every dashboard
socket of the process (and each access change: dashboard.access).

With a channel per socket, channels-redis stored, serialised and popped every live frame once
per socket; through one channel it does so once per process, and the sockets get the same
message object from a queue of their own (docs/benchmarks.md measures the difference).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from channels.layers import get_channel_layer

from dashboard.access import ACCESS_GROUP
from dashboard.state import STATE
from dashboard.wire import live_message
from feeds.broadcast import SPEND_GROUP
from rtviz import metrics

RELAY_FAILED = "relay.failed"  # the message each socket gets when the channel layer fails
# channels-redis forgets a group member after a day (group_expiry): join again well before.
RENEW_SECONDS = 3600
RELAY_GROUPS = (SPEND_GROUP, ACCESS_GROUP)

logger = logging.getLogger(__name__)
Queue = asyncio.Queue[dict[str, Any]]


class LiveRelay:
    def __init__(self) -> None:
        self.queues: set[Queue] = set()
        self.running: asyncio.Task[None] | None = None
        self.joined: asyncio.Future[None] | None = None

    async def join(self, queue: Queue) -> None:
        """From the return on, `queue` gets every message sent to the live group."""
        if self.running is None or self.running.done():
            self.joined = asyncio.get_running_loop().create_future()
            self.running = asyncio.create_task(self.run(self.joined))
        self.queues.add(queue)
        assert self.joined is not None
        try:
            await asyncio.shield(self.joined)
        except BaseException:
            self.queues.discard(queue)
            raise

    def leave(self, queue: Queue) -> None:
        self.queues.discard(queue)

    def is_running(self) -> bool:
        return self.running is not None and not self.running.done()

    async def stop(self) -> None:
        """End the group subscription (its receive cleans up the channel layer's per-loop
        receive state as it is cancelled); the next join starts it again."""
        if self.running is not None and not self.running.done():
            self.running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.running

    async def run(self, joined: asyncio.Future[None]) -> None:
        layer = get_channel_layer()
        renewing = None
        try:
            channel = await layer.new_channel()
            for group in RELAY_GROUPS:
                await layer.group_add(group, channel)
            joined.set_result(None)
            renewing = asyncio.create_task(self.renew(layer, channel))
            while True:
                # Encoded here, once for every socket of the process (dashboard.wire).
                message = live_message(await layer.receive(channel))
                for queue in self.queues:
                    queue.put_nowait(message)
                metrics.relay_passed(
                    position=max((f["to"] for f in message.get("frames", ())), default=0),
                    queued=sum(queue.qsize() for queue in self.queues),
                )
        except Exception as error:
            # The channel layer (Redis) failed: every socket closes, and its page reconnects
            # and replays what it missed; the next socket starts a new relay.
            logger.warning("Live relay stopped, the channel layer failed: %s", error)
            metrics.relay_failed()
            if not joined.done():
                joined.set_exception(error)
            for queue in self.queues:
                queue.put_nowait({"type": RELAY_FAILED})
            self.queues.clear()
        finally:
            if renewing:
                renewing.cancel()

    async def renew(self, layer: Any, channel: str) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                for group in RELAY_GROUPS:
                    await layer.group_add(group, channel)
            except Exception as error:  # the receive loop reports a lasting failure
                logger.warning("Live relay could not renew its group membership: %s", error)


def live_relay() -> LiveRelay:
    """This event loop's relay (dashboard.state keeps them)."""
    loop = asyncio.get_running_loop()
    if loop not in STATE.relays:
        STATE.relays[loop] = LiveRelay()
    return STATE.relays[loop]
