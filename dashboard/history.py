"""What a socket is sent to catch up: the stored history, or the changes after a position, in
chunks (read by feeds.selectors, framed by dashboard.wire)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from dashboard.wire import MAX_RECORDS_PER_FRAME, history_deletes_frame, history_records_frame
from feeds.selectors import (
    SyncPoint,
    deletions_changed,
    records_by_id,
    records_changed,
    sync_point,
)

__all__ = ["SyncPoint", "history_stream", "replay_after", "sync_point"]

Chunk = tuple[str, int, int]  # (frame text, items in it, the cursor to continue after)


def replay_after(point: SyncPoint, *, epoch: str | None, position: int | None) -> int | None:
    """Where a client's replay starts, or None when it needs the full history: no position,
    another database's, one from the future, or one too far behind to be worth replaying."""
    if position is None or epoch != point.epoch or position > point.position:
        return None
    if point.position - position > settings.DASHBOARD_REPLAY_LIMIT:
        return None
    return position


def snapshot_chunk(*, after: int, upto: int, size: int, since_ms: int = 0) -> Chunk:
    """Records whose last change is at or below `upto` and created at `since_ms` or later,
    by id after `after`."""
    rows = records_by_id(after=after, upto=upto, size=size, since_ms=since_ms)
    return records_chunk(rows, cursor=rows[-1][0] if rows else after, mode="full")


def changed_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records created or updated at positions in (after, upto], by position."""
    rows = records_changed(after=after, upto=upto, size=size)
    return records_chunk(rows, cursor=rows[-1][-1] if rows else after, mode="replay")


def records_chunk(rows: list[tuple[Any, ...]], *, cursor: int, mode: str) -> Chunk:
    return history_records_frame([row[:-1] for row in rows], mode=mode), len(rows), cursor


def deleted_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records deleted at positions in (after, upto], by position."""
    rows = deletions_changed(after=after, upto=upto, size=size)
    text = history_deletes_frame([record_id for _, record_id in rows])
    return text, len(rows), rows[-1][0] if rows else after


async def chunks(read: Callable[..., Chunk], *, after: int, upto: int) -> AsyncIterator[Chunk]:
    size = min(settings.DASHBOARD_HISTORY_CHUNK_SIZE, MAX_RECORDS_PER_FRAME)
    while True:
        text, count, after = await database_sync_to_async(read)(after=after, upto=upto, size=size)
        if count:
            yield text, count, after
        if count < size:
            return


async def history_stream(
    *, point: SyncPoint, replay_from: int | None, since_ms: int = 0, after_id: int = 0
) -> AsyncIterator[tuple[str, int]]:
    """History frames up to `point`: every record created since `since_ms` (the page's time
    range) with an id after `after_id` (the ones up to it went summarised: dashboard.summaries);
    or only the changes after `replay_from`."""
    readers: list[tuple[Callable[..., Chunk], int]]
    if replay_from is None:
        readers = [(partial(snapshot_chunk, since_ms=since_ms), after_id)]
    else:
        readers = [(changed_chunk, replay_from), (deleted_chunk, replay_from)]
    for read, after in readers:
        async for text, count, _ in chunks(read, after=after, upto=point.position):
            yield text, count
