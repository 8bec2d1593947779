"""A long history, summarised: every record but the latest DASHBOARD_HISTORY_RAW_LIMIT goes as
rows of (time bucket, name, year, pay type, amount bin) with the spend and the number of
records in each, which is all the charts draw; the latest records go whole, for the table and
for edits. A connect then costs what those cardinalities make, not what the number of records
does (docs/benchmarks.md measures both; docs/protocol.md describes the rows).

Summarising a million records keeps the database busy for about two seconds, so each process
keeps the all-time rows it made last and adds the rows of the records stored since; a change
to any record they hold (an edit, a delete) throws them away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from dashboard.history import (
    CENTS,
    EPOCH_MS,
    GROUP_KEY,
    HISTORY_FRAME,
    SyncPoint,
    records_table,
    since_value,
)
from feeds.encoding import MAX_RECORDS_PER_FRAME, deltas, dictionary_code, frame_text
from feeds.models import SpendDeletion, SpendRecord

# The time chart's bucket sizes (static/dashboard/js/store.js): about TIME_BUCKETS of them
# span a range, and each size divides the next, so the page can merge a summary's buckets.
BUCKETS_MS = tuple(
    seconds * 1000 for seconds in (1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800)
)
TIME_BUCKETS = 120
AMOUNT_BIN_DOLLARS = 10  # the amount chart's bins (store.js)
# The kept all-time rows take in the records stored since once there are this many of them;
# fewer are summarised afresh on each connect (an index range scan).
KEEP_AFTER_RECORDS = 50_000

Frames = list[tuple[str, int]]  # (frame text, summary rows in it)


def bucket_for(span_ms: float) -> int:
    return next((ms for ms in BUCKETS_MS if ms >= span_ms / TIME_BUCKETS), BUCKETS_MS[-1])


@dataclass(frozen=True)
class Summary:
    """A full history's records with ids up to `upto_id` go summarised in `bucket_ms` buckets."""

    upto_id: int
    bucket_ms: int

    def end(self) -> dict[str, int]:
        """What history_end says of it."""
        return {"upto_id": self.upto_id, "bucket": self.bucket_ms}


@dataclass(frozen=True)
class Kept:
    """All-time summary frames of the records with ids up to `upto_id`, as of `point`."""

    summary: Summary
    point: SyncPoint
    frames: Frames


_kept: Kept | None = None  # made and read in one thread (dashboard.consumers)


def summary_frames(summary: Summary, *, point: SyncPoint, since_ms: int = 0) -> Frames:
    """The summary rows of a full history up to `point`, as frames."""
    if since_ms:  # a time range: its start moves with the clock, so nothing is kept
        return cell_frames(summary, after_id=0, upto=point.position, since_ms=since_ms)
    return all_time_frames(summary, point=point)


def summary_plan(*, upto: int, since_ms: int = 0) -> Summary | None:
    """What a full history up to position `upto` summarises: None when it holds no more than
    DASHBOARD_HISTORY_RAW_LIMIT records."""
    table = records_table()
    created_ms = EPOCH_MS[connection.vendor].format("created")
    in_range, params = created_since(since_ms)
    with connection.cursor() as cursor:
        # Latest first by the primary key: "seq + 0", and no time bound for all time, keep
        # SQLite off the other indexes (then it would sort every record to find the latest).
        cursor.execute(
            f"SELECT id FROM {table} WHERE seq + 0 <= %s {in_range} "  # noqa: S608 - constants
            "ORDER BY id DESC LIMIT 1 OFFSET %s",
            [upto, *params, settings.DASHBOARD_HISTORY_RAW_LIMIT],
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


def created_since(since_ms: int) -> tuple[str, list[Any]]:
    """The condition (and its parameter) for a time range; none for all time, which keeps
    SQLite off the creation-time index."""
    return ("AND created >= %s", [since_value(since_ms)]) if since_ms else ("", [])


def all_time_frames(summary: Summary, *, point: SyncPoint) -> Frames:
    global _kept
    kept = _kept
    if kept is None or not still_true(kept, summary, point):
        kept = Kept(Summary(upto_id=0, bucket_ms=summary.bucket_ms), point, [])
    after_id = kept.summary.upto_id
    frames = kept.frames + cell_frames(summary, after_id=after_id, upto=point.position)
    if kept.frames == [] or summary.upto_id - after_id >= KEEP_AFTER_RECORDS:
        _kept = Kept(summary, point, frames)
    return frames


def still_true(kept: Kept, summary: Summary, point: SyncPoint) -> bool:
    """Whether the kept frames hold what the database holds now, for the ids they cover."""
    if (kept.point.epoch, kept.summary.bucket_ms) != (point.epoch, summary.bucket_ms):
        return False
    if kept.summary.upto_id > summary.upto_id or kept.point.position > point.position:
        return False
    changes = {"seq__gt": kept.point.position, "seq__lte": point.position}
    upto_id = kept.summary.upto_id
    return not (
        SpendRecord.objects.filter(**changes, id__lte=upto_id).exists()
        or SpendDeletion.objects.filter(**changes, record_id__lte=upto_id).exists()
    )


def cell_frames(summary: Summary, *, after_id: int, upto: int, since_ms: int = 0) -> Frames:
    """The summary rows of the records with ids in (after_id, summary.upto_id], whose last
    change is at or below `upto`, created at `since_ms` or later."""
    vendor = connection.vendor
    cents, created_ms = CENTS[vendor].format("spent"), EPOCH_MS[vendor].format("created")
    bucket = f"{created_ms} / {summary.bucket_ms} * {summary.bucket_ms}"
    # Grouping by bytes, not by the locale's collation, sorts a million names in half the time
    # on PostgreSQL.
    group_key = GROUP_KEY[vendor].format
    in_range, params = created_since(since_ms)
    sql = (
        f"SELECT {bucket}, {group_key('name')}, year, {group_key('pay_type')}, "  # noqa: S608 - constants
        f"{cents} / {AMOUNT_BIN_DOLLARS * 100}, CAST(SUM({cents}) AS BIGINT), COUNT(*) "
        f"FROM {records_table()} WHERE id > %s AND id <= %s AND seq <= %s {in_range} "
        "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1"
    )
    frames = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [after_id, summary.upto_id, upto, *params])
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
