"""The dashboard socket: authorise, join the live group, send history, then forward live."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.utils import await_many_dispatch
from django.conf import settings
from redis.exceptions import RedisError

from dashboard.access import can_view_dashboard, session_user
from dashboard.budget_frames import BUDGETS_EVENT, budgets_frame_for, budgets_frame_now
from dashboard.history import (
    history_end_frame,
    history_stream,
    recent_sync_point,
    replay_after,
    sync_point,
)
from dashboard.limits import FrameBudget
from dashboard.protocol import (
    ProtocolError,
    client_frame_parse,
    error_frame,
    resume_parse,
    since_parse,
)
from dashboard.relay import RELAY_FAILED, Queue, live_relay
from dashboard.summaries import summary_history
from feeds.encoding import RECORD_FIELDS, frame_text

CLOSE_LOGIN_REQUIRED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
CLOSE_POLICY_VIOLATION = 1008
CLOSE_CHANNEL_LAYER_DOWN = 4503  # daphne lets an app send only 1000 or 3000-4999
MAX_CLIENT_ERRORS = 10  # bad frames a connection may send before it is closed

logger = logging.getLogger(__name__)
# One thread reads the summaries (dashboard.summaries), one at a time, not the one every other
# socket's queries share: a time range's summary can take seconds. Its database connection is
# closed after each, as in every database_sync_to_async call.
SUMMARIES_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summaries")


class DashboardConsumer(AsyncWebsocketConsumer):
    joined = False
    position = 0  # the client is in sync up to here; live changes at or below it are dropped
    dropped = False  # told it was too slow: send nothing more
    client_errors = 0
    since_ms = 0  # the page's time range starts here: a full history holds nothing older
    access_watch: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.live: Queue = asyncio.Queue()  # live group messages, from the relay
        self.budget = FrameBudget(
            rate=settings.DASHBOARD_CLIENT_FRAMES_PER_SECOND,
            burst=settings.DASHBOARD_CLIENT_FRAMES_BURST,
        )
        # Live frames sent but not yet acknowledged by the client's pings: (to, size). The
        # server cannot see its send buffer through ASGI, so this is how it bounds it.
        self.unacked: deque[tuple[int, int]] = deque()
        self.unacked_bytes = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # As AsyncConsumer.__call__, but live messages come from this process's relay
        # (dashboard.relay) through a queue, not from a channel-layer channel of our own.
        self.scope, self.base_send = scope, send
        try:
            await await_many_dispatch([receive, self.live.get], self.dispatch)
        except StopConsumer:
            pass
        except (OSError, RedisError) as error:
            # The channel layer (Redis) failed under this socket: close it, and the page
            # reconnects with its position and replays what it missed once Redis is back.
            logger.warning("Dashboard socket closed, the channel layer failed: %s", error)
            await send({"type": "websocket.close", "code": CLOSE_CHANNEL_LAYER_DOWN})

    async def connect(self) -> None:
        # Accept first, so a refused client learns why from an error frame and a close code.
        await self.accept()
        user = self.scope["user"]
        if not await self.authorised(user):
            return
        self.access_watch = asyncio.create_task(self.watch_access())
        # Join before reading the sync point: a change committed from here on is queued for
        # us, and the ones the history already holds are dropped from that queue.
        await live_relay().join(self.live)
        self.joined = True
        await self.send(
            text_data=frame_text("hello", user=user.get_username(), fields=RECORD_FIELDS)
        )
        query = self.scope["query_string"]
        try:
            self.since_ms = since_parse(query)
        except ProtocolError as error:
            await self.send(text_data=error.frame())
        try:
            epoch, position = resume_parse(query)
        except ProtocolError as error:
            await self.send(text_data=error.frame())
            epoch, position = None, None
        await self.sync(epoch=epoch, position=position)

    async def sync(self, *, epoch: str | None, position: int | None) -> None:
        """Bring the client up to the committed end of the sequence: a replay of the changes
        after its position when that is possible, the full history otherwise."""
        point = await database_sync_to_async(sync_point)()
        replay_from = replay_after(point, epoch=epoch, position=position)
        summary, summary_frames = None, []
        if replay_from is None:  # a long history: the latest records whole, the rest summarised
            summary_read = database_sync_to_async(
                summary_history, thread_sensitive=False, executor=SUMMARIES_THREAD
            )
            point, summary, summary_frames = await summary_read(since_ms=self.since_ms)
        count = 0
        stream = history_stream(
            point=point,
            replay_from=replay_from,
            since_ms=self.since_ms,
            after_id=summary.upto_id if summary else 0,
        )
        async for text, chunk_count in stream:
            await self.send(text_data=text)
            count += chunk_count
        for text, rows in summary_frames:
            await self.send(text_data=text)
            count += rows
        self.position = point.position
        self.acknowledge(point.position)  # the sync covers the live frames sent before it
        await self.send(
            text_data=history_end_frame(
                count=count,
                point=point,
                replayed=replay_from is not None,
                summary=summary.end() if summary else None,
            )
        )
        if budgets := await budgets_frame_now():  # budgets: after the history, if any
            await self.send(text_data=budgets)

    async def authorised(self, user: Any) -> bool:
        if not user.is_authenticated:
            await self.refuse(
                CLOSE_LOGIN_REQUIRED, "login_required", "Log in to see the dashboard."
            )
            return False
        if not await database_sync_to_async(can_view_dashboard)(user):
            await self.refuse(CLOSE_FORBIDDEN, "forbidden", "You are not on the dashboard's team.")
            return False
        return True

    async def watch_access(self) -> None:
        """A socket outlives its login: re-check the session and the permission now and then,
        so a logout or a removal from the team closes it within the interval."""
        while True:
            await asyncio.sleep(settings.DASHBOARD_ACCESS_CHECK_SECONDS)
            if not await self.authorised(await session_user(self.scope)):
                return

    async def disconnect(self, code: int) -> None:
        if self.access_watch:
            self.access_watch.cancel()
        if self.joined:
            live_relay().leave(self.live)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            if not self.budget.spend():
                raise ProtocolError("rate_limited", "Too many frames: slow down.")
            frame = client_frame_parse(text_data)
        except ProtocolError as error:
            await self.send(text_data=error.frame())
            self.client_errors += 1
            if self.client_errors >= MAX_CLIENT_ERRORS:
                await self.close(code=CLOSE_POLICY_VIOLATION)
            return
        if frame["type"] == "resync":  # the client saw a gap in positions
            await self.sync(epoch=frame["epoch"], position=frame["position"])
        else:
            self.acknowledge(frame.get("position"))
            point = await recent_sync_point()  # not a query per ping: 100 pages ping too
            await self.send(text_data=frame_text("pong", position=point.position))

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, through the one
        # database thread: for live frames, which touch no database, that queued each of
        # them behind every other socket's (docs/benchmarks.md).
        if message["type"] == "spend.changes":
            await self.spend_changes(message)
            await self.budgets_forward(message)  # budgets: spend changed
        elif message["type"] == BUDGETS_EVENT:  # budgets: a budget changed
            await self.budgets_forward(message)
        elif message["type"] == RELAY_FAILED:
            # The channel layer failed under every socket: the pages reconnect and replay.
            await self.close(code=CLOSE_CHANNEL_LAYER_DOWN)
        else:
            await super().dispatch(message)

    async def spend_changes(self, event: dict[str, Any]) -> None:
        for frame in event["frames"]:
            if self.dropped or frame["to"] <= self.position:
                continue
            await self.send(text_data=frame["text"])
            self.unacked.append((frame["to"], len(frame["text"])))
            self.unacked_bytes += len(frame["text"])
            if self.unacked_bytes > settings.DASHBOARD_MAX_UNACKED_BYTES:
                # A stalled client must not hold the server's memory or slow the others;
                # it reconnects and replays from its position when it wakes up.
                self.dropped = True
                await self.send(text_data=error_frame("too_slow", "Too far behind; resync."))
                await self.close(code=CLOSE_TOO_SLOW)

    async def budgets_forward(self, message: dict[str, Any]) -> None:  # budgets
        if not self.dropped and (text := await budgets_frame_for(message)):
            await self.send(text_data=text)

    def acknowledge(self, position: int | None) -> None:
        while self.unacked and position is not None and self.unacked[0][0] <= position:
            self.unacked_bytes -= self.unacked.popleft()[1]

    async def refuse(self, close_code: int, error_code: str, message: str) -> None:
        await self.send(text_data=error_frame(error_code, message))
        await self.close(code=close_code)
