"""The dashboard socket: authorise, join the live group, send history, then forward live.

Its parts live apart: the Channels lifecycle and cleanup (dashboard.adapter), the sync
(dashboard.sync), the byte window (dashboard.flow), access and its re-checks
(dashboard.access), and the per-socket and per-user limits (dashboard.limits)."""

from __future__ import annotations

import time
from typing import Any

from channels.exceptions import StopConsumer
from django.conf import settings

from dashboard.access import (
    ACCESS_CHANGED,
    Refusal,
    access_message_refusal,
    access_refusal,
    access_watch,
)
from dashboard.adapter import RelayedWebsocketConsumer
from dashboard.budget_frames import BUDGETS_EVENT, budgets_frame_for, budgets_frame_now
from dashboard.flow import Flow
from dashboard.limits import client_frame_budget, resync_budget, socket_admit
from dashboard.protocol import (
    ProtocolError,
    client_frame_parse,
    resume_parse,
    since_parse,
    span_parse,
)
from dashboard.relay import RELAY_FAILED
from dashboard.state import STATE
from dashboard.sync import recent_sync_point, sync_frames
from dashboard.wire import (
    CLOSE_CHANNEL_LAYER_DOWN,
    CLOSE_POLICY,
    CLOSE_TOO_SLOW,
    error_frame,
    hello_frame,
    pong_frame,
)
from feeds.broadcast import CHANGES_EVENT
from rtviz import metrics

MAX_CLIENT_ERRORS = 10  # bad or refused frames a connection may send before it is closed
ACCESS_REFUSED = "access.refused"  # from the socket's own access watch, through its queue

TOO_SLOW = Refusal(CLOSE_TOO_SLOW, "too_slow", "Too far behind; resync.")
BAD_ACK = Refusal(CLOSE_POLICY, "bad_ack", "Acknowledged a position never sent on this socket.")


class DashboardConsumer(RelayedWebsocketConsumer):
    position = 0  # the client is in sync up to here; live changes at or below it are dropped
    since_ms = 0  # the page's time range starts here: a full history holds nothing older
    span_ms = 0  # the time chart spans this much of it (0: all of it)
    user_id: int | None = None
    resync_wanted: tuple[str, int] | None = None  # one pending resync, the latest asked for

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames = client_frame_budget()
        self.resyncs = resync_budget()
        self.flow = Flow(limit=settings.DASHBOARD_MAX_UNACKED_BYTES)
        self.client_errors = 0

    async def connect(self) -> None:
        # Accept first, so a refused client learns why from an error frame and a close code.
        await self.accept()
        user = self.scope["user"]
        if refusal := await access_refusal(user) or socket_admit(user):
            STATE.connects[refusal.code] += 1
            metrics.socket_connected(outcome=refusal.code)
            await self.refuse(refusal)
        self.register(user)
        # Join before reading the sync point: a change committed from here on is queued for
        # us, and the ones the history already holds are dropped from that queue. The access
        # watch starts after: a failed join leaves nothing running.
        await self.relay_join()
        self.task_start(access_watch(self.scope, self.refuse_soon))
        await self.send_counted(hello_frame(user=user.get_username()))
        query = self.scope["query_string"]
        try:
            self.since_ms = since_parse(query)
            self.span_ms = span_parse(query)
        except ProtocolError as error:
            await self.send_counted(error.frame())
        try:
            epoch, position = resume_parse(query)
        except ProtocolError as error:
            await self.send_counted(error.frame())
            epoch, position = None, None
        await self.sync(epoch=epoch, position=position)

    def register(self, user: Any) -> None:
        self.user_id = user.pk
        STATE.sockets.add(self)
        STATE.sockets_by_user[user.pk] += 1
        STATE.connects["accepted"] += 1
        metrics.socket_connected(outcome="accepted")

    def unregister(self) -> None:
        if self in STATE.sockets and self.user_id is not None:
            metrics.socket_closed(unacked_bytes=self.flow.unacked_bytes)
            STATE.sockets.discard(self)
            STATE.sockets_by_user[self.user_id] -= 1
            if not STATE.sockets_by_user[self.user_id]:
                del STATE.sockets_by_user[self.user_id]

    async def sync(self, *, epoch: str | None, position: int | None) -> None:
        """Bring the client up to the committed end of the sequence (dashboard.sync); live
        messages wait in the socket's queue meanwhile, and are sent after it in order."""
        self.syncing = True
        started = time.perf_counter()
        frames = sync_frames(
            since_ms=self.since_ms, span_ms=self.span_ms, epoch=epoch, position=position
        )
        async for text, point in frames:
            await self.send_counted(text, position=point)
            self.position = point
        metrics.history_sent(seconds=time.perf_counter() - started)
        if budgets := await budgets_frame_now():  # the budgets panel: after the history
            await self.send_counted(budgets)
        self.syncing = False

    async def resync_if_due(self) -> None:
        """The pending resync, once the resync budget allows one; until then later resyncs
        only replace it (a page asks again on every gap it sees)."""
        if self.resync_wanted and self.resyncs.spend():
            epoch, position = self.resync_wanted
            self.resync_wanted = None
            await self.sync(epoch=epoch, position=position)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if not self.frames.spend():
                raise ProtocolError("rate_limited", "Too many frames: slow down.")
            frame = client_frame_parse(text_data)
        except ProtocolError as error:
            await self.send_counted(error.frame())
            self.client_errors += 1
            if self.client_errors >= MAX_CLIENT_ERRORS:
                await self.stop(CLOSE_POLICY, reason=error.code)
            return
        if frame["type"] == "resync":  # the client saw a gap in positions
            self.resync_wanted = (frame["epoch"], frame["position"])
        elif not self.flow.acknowledge(frame.get("position")):
            await self.refuse(BAD_ACK)
        else:
            point = await recent_sync_point()  # not a query per ping: 100 pages ping too
            await self.send_counted(pong_frame(position=point.position))
        await self.resync_if_due()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, through the one
        # database thread: for live frames, which touch no database, that queued each of
        # them behind every other socket's (docs/benchmarks.md).
        kind = message["type"]
        if kind == "spend.changes":
            await self.spend_changes(message)
            await self.budgets_forward(message)  # their spend moved
        elif kind == BUDGETS_EVENT:  # a budget changed
            await self.budgets_forward(message)
        elif kind == ACCESS_CHANGED:  # a logout or a change of team, from any process
            user_id, scope = self.user_id or 0, self.scope
            if refusal := await access_message_refusal(message, user_id=user_id, scope=scope):
                await self.refuse(refusal)
        elif kind == ACCESS_REFUSED:
            await self.refuse(message["refusal"])
        elif kind == RELAY_FAILED:
            # The channel layer failed under every socket: the pages reconnect and replay.
            await self.stop(CLOSE_CHANNEL_LAYER_DOWN, reason="channel_layer_down")
        else:
            await super().dispatch(message)

    async def spend_changes(self, event: dict[str, Any]) -> None:
        """A change the socket's own task handles (it was queued: see live_now)."""
        frames = size = 0
        for frame in event["frames"]:
            if frame["to"] > self.position:
                await self.send_counted(frame["text"], position=frame["to"])
                frames, size = frames + 1, size + len(frame["text"])
        metrics.live_frames_sent(frames=frames, size=size)
        await self.resync_if_due()

    def live_now_takes(self, message: dict[str, Any]) -> bool:
        # A resync due runs in the socket's own task, after the change (spend_changes).
        return message["type"] == CHANGES_EVENT and self.resync_wanted is None

    async def live_now(self, message: dict[str, Any]) -> tuple[int, int]:
        """As spend_changes and budgets_forward, from the relay's pass (dashboard.adapter): the
        budgets frame is already read (dashboard.relay reads it before the pass), and a
        socket past its byte window is refused by its own task, which nothing more is sent
        ahead of."""
        frames = size = 0
        for frame in message["frames"]:
            if frame["to"] > self.position:
                text = frame["text"]
                if self.daphne is not None:  # framed once for the process (dashboard.relay)
                    self.daphne.send(frame["prepared"])
                else:
                    await self.base_send({"type": "websocket.send", "text": text})
                self.flow.sent(len(text), position=frame["to"])
                frames, size = frames + 1, size + len(text)
                if self.flow.over_limit:
                    return self.too_slow_soon(frames, size)
        if text := await budgets_frame_for(message):
            await self.base_send({"type": "websocket.send", "text": text})
            self.flow.sent(len(text))
            if self.flow.over_limit:
                return self.too_slow_soon(frames, size)
        return frames, size

    def too_slow_soon(self, frames: int, size: int) -> tuple[int, int]:
        metrics.socket_too_slow()
        self.live_put({"type": ACCESS_REFUSED, "refusal": TOO_SLOW}, relayed=True)
        return frames, size

    async def budgets_forward(self, message: dict[str, Any]) -> None:
        """The budgets frame a change calls for (read once per process: dashboard.budget_frames)."""
        if text := await budgets_frame_for(message):
            await self.send_counted(text)

    async def send_counted(self, text: str, *, position: int | None = None) -> None:
        """Send a frame, counted against the socket's window of unacknowledged bytes: a
        stalled client must not hold the server's memory or slow the others; it reconnects
        and replays from its position when it wakes up."""
        await self.send(text_data=text)
        self.flow.sent(len(text), position=position)
        if self.flow.over_limit:
            metrics.socket_too_slow()
            await self.refuse(TOO_SLOW)

    async def refuse_soon(self, refusal: Refusal) -> None:
        """From a background task: the socket refuses in its own turn, between messages; from
        now on the relay queues behind the refusal, and writes the socket no more live frames."""
        self.live_put({"type": ACCESS_REFUSED, "refusal": refusal}, relayed=True)

    async def refuse(self, refusal: Refusal) -> None:
        await self.send(text_data=error_frame(refusal.code, refusal.message))
        await self.stop(refusal.close_code, reason=refusal.code)

    async def stop(self, close_code: int, *, reason: str) -> None:
        """Close, and end the socket now rather than at the client's closing handshake, which
        a stalled or hostile client never completes."""
        STATE.closes[reason] += 1
        await self.close(code=close_code)
        raise StopConsumer
