"""Reads for the dashboard: the stored history, in chunks, and the live events after it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Max

from feeds.encoding import MAX_RECORDS_PER_FRAME, RECORD_FIELDS, frame_text, records_frame
from feeds.models import SpendRecord

HISTORY_FRAME = "history"
HISTORY_END_FRAME = "history_end"


def history_mark() -> int:
    """The high-water mark: history is every record up to it, live is every record after."""
    return SpendRecord.objects.aggregate(mark=Max("id"))["mark"] or 0


def history_chunk(*, after: int, upto: int, size: int) -> tuple[str, int, int]:
    """One history frame of up to `size` records with after < id <= upto: (text, count, last id).

    Keyset pagination over the primary key: each chunk is an index range scan, and no
    cursor or transaction stays open across the awaits between chunks.
    """
    rows = list(
        SpendRecord.objects.filter(id__gt=after, id__lte=upto)
        .order_by("id")
        .values_list(*RECORD_FIELDS)[:size]
    )
    return records_frame(HISTORY_FRAME, rows), len(rows), rows[-1][0] if rows else upto


async def history_stream(*, mark: int) -> AsyncIterator[tuple[str, int]]:
    size = min(settings.DASHBOARD_HISTORY_CHUNK_SIZE, MAX_RECORDS_PER_FRAME)
    after = 0
    while after < mark:
        text, count, after = await database_sync_to_async(history_chunk)(
            after=after, upto=mark, size=size
        )
        if count == 0:
            return
        yield text, count


def history_end_frame(*, count: int, mark: int) -> str:
    return frame_text(HISTORY_END_FRAME, count=count, mark=mark)


def live_texts(event: dict[str, Any], *, mark: int) -> list[str]:
    """The frames to forward for a live event: only records after the mark.

    A frame is normally entirely above or below the mark, and its pre-encoded text is sent
    as is; one that straddles it (writes committed out of id order) is filtered here.
    """
    return [text for frame in event["frames"] if (text := frame_after(frame, mark=mark))]


def frame_after(frame: dict[str, Any], *, mark: int) -> str | None:
    if frame["last_id"] <= mark:
        return None
    if frame["first_id"] > mark:
        return frame["text"]
    decoded = json.loads(frame["text"])
    batch = decoded["records"]
    keep = [i for i, record_id in enumerate(batch["columns"]["id"]) if record_id > mark]
    columns = {field: [values[i] for i in keep] for field, values in batch["columns"].items()}
    return frame_text(decoded["type"], records={**batch, "count": len(keep), "columns": columns})
