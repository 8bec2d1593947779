"""Reads for the dashboard: the stored history, or the changes after a position, in chunks."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

from feeds.encoding import (
    MAX_RECORDS_PER_FRAME,
    batch_encode,
    deltas,
    dictionary_code,
    frame_text,
)
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


_recent_point: tuple[float, SyncPoint] | None = None


async def recent_sync_point(max_age: float = 1.0) -> SyncPoint:
    """The sync point as read at most `max_age` seconds ago, shared by every socket of this
    process: for pongs, which only help a page notice changes it missed. A history or a
    replay must read a fresh one (after joining the group), never this."""
    global _recent_point
    now = time.monotonic()
    if _recent_point is None or now - _recent_point[0] > max_age:
        _recent_point = (now, await database_sync_to_async(sync_point)())
    return _recent_point[1]


def replay_after(point: SyncPoint, *, epoch: str | None, position: int | None) -> int | None:
    """Where a client's replay starts, or None when it needs the full history: no position,
    another database's, one from the future, or one too far behind to be worth replaying."""
    if position is None or epoch != point.epoch or position > point.position:
        return None
    if point.position - position > settings.DASHBOARD_REPLAY_LIMIT:
        return None
    return position


# Money in cents and times in epoch milliseconds, computed by the database: turning each
# value into a Decimal or an aware datetime only to turn it back into an integer took over half
# of the time of a 1M-record history (docs/benchmarks.md). Times floor to the millisecond, as
# feeds.encoding does.
CENTS = {
    "sqlite": "CAST(ROUND({0} * 100) AS INTEGER)",
    "postgresql": "({0} * 100)::bigint",
}
EPOCH_MS = {
    # Stored as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds from the first 19
    # characters (strftime would round .9995 up a second), milliseconds from the text.
    "sqlite": "(CAST(strftime('%%s', substr({0}, 1, 19)) AS INTEGER) * 1000 "
    "+ CAST(substr({0}, 21, 3) AS INTEGER))",
    "postgresql": "floor(extract(epoch FROM {0}) * 1000)::bigint",
}

GROUP_KEY = {"sqlite": "{0}", "postgresql": '{0} COLLATE "C"'}


def wire_columns(vendor: str) -> str:
    """The history's columns (RECORD_FIELDS, then the position) as the wire carries them."""
    cents, epoch_ms = CENTS[vendor].format, EPOCH_MS[vendor].format
    return (
        f"id, name, {cents('spent')}, year, pay_type, quantity, {cents('total')}, "
        f"{cents('tip')}, {epoch_ms('created')}, {epoch_ms('updated')}, seq"
    )


def wire_rows(where: str, params: list[int]) -> list[tuple[Any, ...]]:
    """Rows of RECORD_FIELDS in wire values, then their position."""
    table = connection.ops.quote_name(SpendRecord._meta.db_table)
    sql = f"SELECT {wire_columns(connection.vendor)} FROM {table} WHERE {where}"  # noqa: S608 - our constants; values are parameters
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


# A long history is summarised: every record but the latest DASHBOARD_HISTORY_RAW_LIMIT goes
# as rows of (time bucket, name, year, pay type, amount bin) with the spend and the number of
# records in each, which is all the charts draw; the latest records go whole, for the table and
# for edits. What a connect costs then grows with the product of those cardinalities, not with
# the number of records (docs/benchmarks.md measures both).

# The time chart's bucket sizes (static/dashboard/js/store.js): about TIME_BUCKETS of them
# span a range, and each size divides the next, so the page can merge a summary's buckets.
BUCKETS_MS = tuple(
    seconds * 1000 for seconds in (1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800)
)
TIME_BUCKETS = 120
AMOUNT_BIN_DOLLARS = 10  # the amount chart's bins (store.js)


def bucket_for(span_ms: int) -> int:
    return next((ms for ms in BUCKETS_MS if ms >= span_ms / TIME_BUCKETS), BUCKETS_MS[-1])


@dataclass(frozen=True)
class Summary:
    """A full history's records with ids up to `upto_id` go summarised in `bucket_ms` buckets."""

    upto_id: int
    bucket_ms: int


def summary_plan(*, upto: int, since_ms: int = 0) -> Summary | None:
    """What to summarise of a full history up to position `upto`: None when it holds no more
    than DASHBOARD_HISTORY_RAW_LIMIT records."""
    table = connection.ops.quote_name(SpendRecord._meta.db_table)
    created_ms = EPOCH_MS[connection.vendor].format("created")
    with connection.cursor() as cursor:
        # Latest first by the primary key: "seq + 0", and no time bound for all time, keep
        # SQLite off the other indexes (then it would sort every record to find the latest).
        in_range = "AND created >= %s" if since_ms else ""
        cursor.execute(
            f"SELECT id FROM {table} WHERE seq + 0 <= %s {in_range} "  # noqa: S608 - constants
            "ORDER BY id DESC LIMIT 1 OFFSET %s",
            [
                upto,
                *([since_value(since_ms)] if since_ms else []),
                settings.DASHBOARD_HISTORY_RAW_LIMIT,
            ],
        )
        cut = cursor.fetchone()
        if cut is None:
            return None
        if since_ms:  # the page's range: the time chart spans it
            span_ms = time.time() * 1000 - since_ms
        else:  # all time: the chart spans the records
            ends = []
            for order in ("", "DESC"):
                query = f"SELECT {created_ms} FROM {table} ORDER BY created {order} LIMIT 1"  # noqa: S608
                cursor.execute(query, [])  # [], so that "%%" reads as "%" on SQLite too
                ends.append(cursor.fetchone()[0])
            span_ms = ends[1] - ends[0]
    return Summary(upto_id=cut[0], bucket_ms=bucket_for(span_ms))


def summary_frames(*, summary: Summary, upto: int, since_ms: int = 0) -> list[tuple[str, int]]:
    """The summary rows as history frames, with the number of rows in each."""
    table = connection.ops.quote_name(SpendRecord._meta.db_table)
    cents = CENTS[connection.vendor].format("spent")
    created_ms, bucket_ms = EPOCH_MS[connection.vendor].format("created"), summary.bucket_ms
    bucket = f"{created_ms} / {bucket_ms} * {bucket_ms}"
    # Grouping by bytes, not by the locale's collation, sorts a million names in half the time
    # on PostgreSQL.
    group_key = GROUP_KEY[connection.vendor].format
    sql = (
        f"SELECT {bucket}, {group_key('name')}, year, {group_key('pay_type')}, "  # noqa: S608 - constants
        f"{cents} / {AMOUNT_BIN_DOLLARS * 100}, "
        f"CAST(SUM({cents}) AS BIGINT), COUNT(*) FROM {table} "
        "WHERE id <= %s AND seq <= %s AND created >= %s GROUP BY 1, 2, 3, 4, 5 ORDER BY 1"
    )
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [summary.upto_id, upto, since_value(since_ms)])
        while rows := cursor.fetchmany(MAX_RECORDS_PER_FRAME):
            batch = summary_batch(rows, bucket_ms=summary.bucket_ms)
            frames.append((frame_text(HISTORY_FRAME, mode="full", summary=batch), len(rows)))
    return frames


def summary_batch(rows: list[tuple[Any, ...]], *, bucket_ms: int) -> dict[str, Any]:
    """Columnar, like a record batch: buckets as differences, names and pay types coded."""
    buckets, names, years, pay_types, bins, spent, counts = (
        list(column) for column in zip(*rows, strict=True)
    )
    dictionaries: dict[str, list[str]] = {}
    dictionaries["name"], names = dictionary_code(names)
    dictionaries["pay_type"], pay_types = dictionary_code(pay_types)
    columns = {
        "created": deltas(buckets),
        "name": names,
        "year": years,
        "pay_type": pay_types,
        "amount": [b * AMOUNT_BIN_DOLLARS for b in bins],
        "spent": spent,
        "records": counts,
    }
    return {
        "count": len(rows),
        "bucket": bucket_ms,
        "columns": columns,
        "dictionaries": dictionaries,
    }


async def chunks(read: Callable[..., Chunk], *, after: int, upto: int) -> AsyncIterator[Chunk]:
    size = min(settings.DASHBOARD_HISTORY_CHUNK_SIZE, MAX_RECORDS_PER_FRAME)
    while True:
        text, count, after = await database_sync_to_async(read)(after=after, upto=upto, size=size)
        if count:
            yield text, count, after
        if count < size:
            return


async def history_stream(
    *, point: SyncPoint, replay_from: int | None, since_ms: int = 0, summary: Summary | None = None
) -> AsyncIterator[tuple[str, int]]:
    """History frames up to `point`: every record created since `since_ms` (the page's time
    range), the older ones summarised by `summary`; or only the changes after `replay_from`."""
    if replay_from is None:
        if summary:
            frames = await database_sync_to_async(summary_frames)(
                summary=summary, upto=point.position, since_ms=since_ms
            )
            for frame in frames:
                yield frame
        readers = [(partial(snapshot_chunk, since_ms=since_ms), summary.upto_id if summary else 0)]
    else:
        readers = [(changed_chunk, replay_from), (deleted_chunk, replay_from)]
    for read, after in readers:
        async for text, count, _ in chunks(read, after=after, upto=point.position):
            yield text, count


def history_end_frame(
    *, count: int, point: SyncPoint, replayed: bool, summary: Summary | None = None
) -> str:
    extra = (
        {"summary": {"upto_id": summary.upto_id, "bucket": summary.bucket_ms}} if summary else {}
    )
    return frame_text(
        HISTORY_END_FRAME,
        count=count,
        position=point.position,
        epoch=point.epoch,
        mode="replay" if replayed else "full",
        **extra,
    )
