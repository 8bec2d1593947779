"""Reads for the dashboard: the stored history, or the changes after a position, in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from feeds.encoding import MAX_RECORDS_PER_FRAME, batch_encode, frame_text
from feeds.models import ChangeSequence, SpendDeletion
from feeds.sql import CENTS, EPOCH_MS, records_table

HISTORY_FRAME = "history"
HISTORY_END_FRAME = "history_end"

Chunk = tuple[str, int, int]  # (frame text, items in it, the cursor to continue after)


@dataclass(frozen=True)
class SyncPoint:
    """The committed end of the change sequence: everything at or below it is committed."""

    position: int
    epoch: str


def sync_point() -> SyncPoint:
    row = ChangeSequence.objects.values_list("position", "epoch").filter(pk=ChangeSequence.ROW_ID)
    position, epoch = row.first() or (0, "")
    return SyncPoint(position, epoch)


def replay_after(point: SyncPoint, *, epoch: str | None, position: int | None) -> int | None:
    """Where a client's replay starts, or None when it needs the full history: no position,
    another database's, one from the future, or one too far behind to be worth replaying."""
    if position is None or epoch != point.epoch or position > point.position:
        return None
    if point.position - position > settings.DASHBOARD_REPLAY_LIMIT:
        return None
    return position


def wire_columns(vendor: str) -> str:
    """The history's columns (RECORD_FIELDS, then the position) as the wire carries them."""
    cents, epoch_ms = CENTS[vendor].format, EPOCH_MS[vendor].format
    return (
        f"id, name, {cents('spent')}, year, pay_type, quantity, {cents('total')}, "
        f"{cents('tip')}, {epoch_ms('created')}, {epoch_ms('updated')}, seq"
    )


def wire_rows(where: str, params: list[int]) -> list[tuple[Any, ...]]:
    """Rows of RECORD_FIELDS in wire values, then their position."""
    sql = f"SELECT {wire_columns(connection.vendor)} FROM {records_table()} WHERE {where}"  # noqa: S608 - our constants; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Keyset pagination: each chunk is an index range scan, and no cursor or transaction stays
# open across the awaits between chunks.


def since_value(since_ms: int) -> Any:
    return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(since_ms / 1000, UTC))


def snapshot_chunk(*, after: int, upto: int, size: int, since_ms: int = 0) -> Chunk:
    """Records whose last change is at or below `upto` and created at `since_ms` or later,
    by id after `after`."""
    rows = wire_rows(
        "id > %s AND seq <= %s AND created >= %s ORDER BY id LIMIT %s",
        [after, upto, since_value(since_ms), size],
    )
    return records_chunk(rows, cursor=rows[-1][0] if rows else after, mode="full")


def changed_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records created or updated at positions in (after, upto], by position."""
    rows = wire_rows("seq > %s AND seq <= %s ORDER BY seq LIMIT %s", [after, upto, size])
    return records_chunk(rows, cursor=rows[-1][-1] if rows else after, mode="replay")


def records_chunk(rows: list[tuple[Any, ...]], *, cursor: int, mode: str) -> Chunk:
    batch = batch_encode([row[:-1] for row in rows], wire_values=True)
    return frame_text(HISTORY_FRAME, mode=mode, records=batch), len(rows), cursor


def deleted_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records deleted at positions in (after, upto], by position."""
    rows = list(
        SpendDeletion.objects.filter(seq__gt=after, seq__lte=upto)
        .order_by("seq")
        .values_list("seq", "record_id")[:size]
    )
    text = frame_text(HISTORY_FRAME, mode="replay", deletes=[record_id for _, record_id in rows])
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
    if replay_from is None:
        readers = [(partial(snapshot_chunk, since_ms=since_ms), after_id)]
    else:
        readers = [(changed_chunk, replay_from), (deleted_chunk, replay_from)]
    for read, after in readers:
        async for text, count, _ in chunks(read, after=after, upto=point.position):
            yield text, count


def history_end_frame(
    *, count: int, point: SyncPoint, replayed: bool, summary: dict[str, int] | None = None
) -> str:
    extra = {"summary": summary} if summary else {}
    return frame_text(
        HISTORY_END_FRAME,
        count=count,
        position=point.position,
        epoch=point.epoch,
        mode="replay" if replayed else "full",
        **extra,
    )
