"""The dashboard socket: authorise, join the live group, stream history, then forward live."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from dashboard.access import can_view_dashboard
from dashboard.history import history_end_frame, history_mark, history_stream, live_texts
from dashboard.protocol import ProtocolError, client_frame_parse, error_frame
from feeds.broadcast import SPEND_GROUP
from feeds.encoding import RECORD_FIELDS, frame_text

CLOSE_LOGIN_REQUIRED = 4401
CLOSE_FORBIDDEN = 4403


class DashboardConsumer(AsyncWebsocketConsumer):
    joined = False
    mark = 0

    async def connect(self) -> None:
        # Accept first, so a refused client learns why from an error frame and a close code.
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.refuse(
                CLOSE_LOGIN_REQUIRED, "login_required", "Log in to see the dashboard."
            )
            return
        if not await database_sync_to_async(can_view_dashboard)(user):
            await self.refuse(CLOSE_FORBIDDEN, "forbidden", "You are not on the dashboard's team.")
            return
        # Join before reading the mark: a record committed from here on is queued for us,
        # and anything at or below the mark is dropped from that queue (see spend_records).
        await self.channel_layer.group_add(SPEND_GROUP, self.channel_name)
        self.joined = True
        self.mark = await database_sync_to_async(history_mark)()
        await self.send(
            text_data=frame_text("hello", user=user.get_username(), fields=RECORD_FIELDS)
        )
        count = 0
        async for text, chunk_count in history_stream(mark=self.mark):
            await self.send(text_data=text)
            count += chunk_count
        await self.send(text_data=history_end_frame(count=count, mark=self.mark))

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(SPEND_GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            client_frame_parse(text_data)
        except ProtocolError as error:
            await self.send(text_data=error.frame())
            return
        await self.send(text_data=frame_text("pong"))

    async def spend_records(self, event: dict[str, Any]) -> None:
        for text in live_texts(event, mark=self.mark):
            await self.send(text_data=text)

    async def refuse(self, close_code: int, error_code: str, message: str) -> None:
        await self.send(text_data=error_frame(error_code, message))
        await self.close(code=close_code)
