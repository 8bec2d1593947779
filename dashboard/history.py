"""Reads for the dashboard: the stored history, or the changes after a position, in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings

from feeds.encoding import MAX_RECORDS_PER_FRAME, RECORD_FIELDS, frame_text, records_frame
from feeds.models import ChangeSequence, SpendDeletion, SpendRecord

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


# Keyset pagination: each chunk is an index range scan, and no cursor or transaction stays
# open across the awaits between chunks.


def snapshot_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records whose last change is at or below `upto`, by id after `after`."""
    rows = list(
        SpendRecord.objects.filter(id__gt=after, seq__lte=upto)
        .order_by("id")
        .values_list(*RECORD_FIELDS)[:size]
    )
    return records_frame(HISTORY_FRAME, rows), len(rows), rows[-1][0] if rows else after


def changed_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records created or updated at positions in (after, upto], by position."""
    rows = list(
        SpendRecord.objects.filter(seq__gt=after, seq__lte=upto)
        .order_by("seq")
        .values_list(*RECORD_FIELDS, "seq")[:size]
    )
    text = records_frame(HISTORY_FRAME, [row[:-1] for row in rows])
    return text, len(rows), rows[-1][-1] if rows else after


def deleted_chunk(*, after: int, upto: int, size: int) -> Chunk:
    """Records deleted at positions in (after, upto], by position."""
    rows = list(
        SpendDeletion.objects.filter(seq__gt=after, seq__lte=upto)
        .order_by("seq")
        .values_list("seq", "record_id")[:size]
    )
    text = frame_text(HISTORY_FRAME, deletes=[record_id for _, record_id in rows])
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
    *, point: SyncPoint, replay_from: int | None
) -> AsyncIterator[tuple[str, int]]:
    """History frames up to `point`: every record, or only the changes after `replay_from`."""
    if replay_from is None:
        readers = [(snapshot_chunk, 0)]
    else:
        readers = [(changed_chunk, replay_from), (deleted_chunk, replay_from)]
    for read, after in readers:
        async for text, count, _ in chunks(read, after=after, upto=point.position):
            yield text, count


def history_end_frame(*, count: int, point: SyncPoint, replayed: bool) -> str:
    return frame_text(
        HISTORY_END_FRAME,
        count=count,
        position=point.position,
        epoch=point.epoch,
        mode="replay" if replayed else "full",
    )
