"""One subscription to the live group per process, handing each change to every dashboard
socket of the process (and each access change: dashboard.access).

With a channel per socket, channels-redis stored, serialised and popped every live frame once
per socket; through one channel it does so once per process, and the sockets get the same
message object (docs/benchmarks.md measures the difference).

The relay hands each message to every member in turn (`Member.relay_deliver`): a socket that is
idle sends it there and then, without a task switch of its own, and a busy one (sending its
history, or with earlier messages still waiting) queues it for its own task. No member waits
in the pass (daphne's send never does: the socket's byte window, dashboard.flow, bounds what a
slow client holds), so one pass over all the sockets takes one turn of the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from typing import Any, Protocol

from channels.layers import get_channel_layer

from dashboard.access import ACCESS_GROUP
from dashboard.budget_frames import BUDGETS_EVENT, budgets_frame_for
from dashboard.daphne_send import live_prepared
from dashboard.state import STATE
from dashboard.wire import live_message
from feeds.broadcast import CHANGES_EVENT, SPEND_GROUP
from rtviz import metrics

RELAY_FAILED = "relay.failed"  # the message each socket gets when the channel layer fails
# channels-redis forgets a group member after a day (group_expiry): join again well before.
RENEW_SECONDS = 3600
RELAY_GROUPS = (SPEND_GROUP, ACCESS_GROUP)

logger = logging.getLogger(__name__)


class Member(Protocol):
    """What the relay hands messages to: a dashboard socket (dashboard.adapter)."""

    def relay_deliver(self, message: dict[str, Any]) -> tuple[int, int]:
        """Take one live message (shared by every member: never changed) without waiting;
        the live frames and bytes sent for it now (0, 0 when it was queued or not for this
        socket)."""

    def relay_lost(self) -> None:
        """The channel layer failed: the member is dropped from the relay."""

    def relay_queued(self) -> int:
        """Live messages waiting for the member's own task."""


class LiveRelay:
    def __init__(self) -> None:
        self.members: set[Member] = set()
        self.running: asyncio.Task[None] | None = None
        self.joined: asyncio.Future[None] | None = None

    async def join(self, member: Member) -> None:
        """From the return on, `member` gets every message sent to the live group."""
        if self.running is None or self.running.done():
            self.joined = asyncio.get_running_loop().create_future()
            # The process's task, not the joining socket's: its log lines name no user.
            self.running = asyncio.create_task(self.run(self.joined), context=contextvars.Context())
        self.members.add(member)
        assert self.joined is not None
        try:
            await asyncio.shield(self.joined)
        except BaseException:
            self.members.discard(member)
            raise

    def leave(self, member: Member) -> None:
        self.members.discard(member)

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
                # Encoded here, once for every socket of the process (dashboard.wire), and
                # framed once for those daphne serves (dashboard.daphne_send).
                message = live_prepared(live_message(await layer.receive(channel)))
                await self.deliver(message)
        except Exception as error:
            # The channel layer (Redis) failed: every socket closes, and its page reconnects
            # and replays what it missed; the next socket starts a new relay.
            logger.warning("Live relay stopped, the channel layer failed: %s", error)
            metrics.relay_failed()
            if not joined.done():
                joined.set_exception(error)
            for member in self.members:
                member.relay_lost()
            self.members.clear()
        finally:
            if renewing:
                renewing.cancel()

    async def deliver(self, message: dict[str, Any]) -> None:
        """Hand `message` to every member; the metrics once for the pass, not per socket."""
        if message["type"] in (CHANGES_EVENT, BUDGETS_EVENT):
            # The budgets frame it calls for, read once per process (dashboard.budget_frames)
            # before the pass, so that no socket waits on the read in the middle of it; a
            # failed read fails each socket's own, as it would have without this.
            with contextlib.suppress(Exception):
                await budgets_frame_for(message)
        frames = size = 0
        for member in list(self.members):
            try:
                sent_frames, sent_size = member.relay_deliver(message)
            except Exception:  # its own failure, never the others'
                logger.exception("A dashboard socket failed to take a live message")
                self.members.discard(member)
                member.relay_lost()
                continue
            frames, size = frames + sent_frames, size + sent_size
        metrics.relay_passed(
            position=max((f["to"] for f in message.get("frames", ())), default=0),
            queued=sum(member.relay_queued() for member in self.members),
            frames=frames,
            size=size,
        )

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
