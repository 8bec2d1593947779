"""A long history, summarised: every record but the latest DASHBOARD_HISTORY_RAW_LIMIT goes as
rows of (time bucket, name, year, pay type, amount bin) with the spend and the number of
records in each, which is all the charts draw; the latest records go whole, for the table and
for edits. A connect then costs what those cardinalities make, not what the number of records
does (docs/benchmarks.md measures both; docs/protocol.md describes the rows).

All time is read from the spend cells that every write keeps (feeds.cells), less the latest
records; a time range, which bounds the records it reads, sums its records afresh.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from dashboard.history import HISTORY_FRAME, SyncPoint, since_value, sync_point
from feeds.cells import (
    BUCKETS_MS,
    bucket_for,
    cells_table,
    finest_kept,
    records_grouped,
    records_span_ms,
)
from feeds.encoding import MAX_RECORDS_PER_FRAME, deltas, dictionary_code, frame_text
from feeds.models import SpendCell
from feeds.sql import records_table

Frames = list[tuple[str, int]]  # (frame text, summary rows in it)
Row = tuple[Any, ...]  # bucket, name, year, pay type, amount, spent (cents), records


@dataclass(frozen=True)
class Summary:
    """A full history's records with ids up to `upto_id` go summarised in `bucket_ms` buckets."""

    upto_id: int
    bucket_ms: int

    def end(self) -> dict[str, int]:
        """What history_end says of it."""
        return {"upto_id": self.upto_id, "bucket": self.bucket_ms}


def summary_history(*, since_ms: int = 0) -> tuple[SyncPoint, Summary | None, Frames]:
    """The sync point, and what a full history up to it summarises, with its frames: no
    summary when it holds no more than DASHBOARD_HISTORY_RAW_LIMIT records."""
    with snapshot():
        point = sync_point()
        upto_id = summary_cut(since_ms)
        if upto_id is None:
            return point, None, []
        if since_ms:  # the page's range: the time chart spans it
            bucket = bucket_for(time.time() * 1000 - since_ms)
            where, params = "id <= %s AND created >= %s", [upto_id, since_value(since_ms)]
            rows = rows_read(f"{records_grouped(where, size=bucket)} ORDER BY 1", params)
        else:  # all time: the chart spans the records
            bucket = all_time_bucket()
            rows = all_time_rows(bucket, upto_id=upto_id)
    summary = Summary(upto_id=upto_id, bucket_ms=bucket)
    return point, summary, summary_frames(rows, bucket_ms=bucket)


@contextmanager
def snapshot() -> Iterator[None]:
    """One read transaction that sees the database as of one moment, so that the sync point
    and the cells agree; inside a transaction already (a test's), that one."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "sqlite":
        # Deferred: atomic() would BEGIN IMMEDIATE (settings) and take the write lock, stalling
        # every writer for as long as the summary takes. In WAL mode a reader blocks none.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield


def summary_cut(since_ms: int) -> int | None:
    """The id of the latest record that is not sent whole, if there is one."""
    in_range, params = ("WHERE created >= %s", [since_value(since_ms)]) if since_ms else ("", [])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {records_table()} {in_range} "  # noqa: S608 - constants
            "ORDER BY id DESC LIMIT 1 OFFSET %s",
            [*params, settings.DASHBOARD_HISTORY_RAW_LIMIT],
        )
        cut = cursor.fetchone()
    return cut[0] if cut else None


def rows_read(sql: str, params: list[Any]) -> list[Row]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def all_time_bucket() -> int:
    """The time chart's bucket for the records' span; or a coarser one, while the kept cells
    of that one are more than DASHBOARD_SUMMARY_MAX_ROWS."""
    wanted = max(bucket_for(records_span_ms()), finest_kept())
    limit = settings.DASHBOARD_SUMMARY_MAX_ROWS
    sizes = [ms for ms in BUCKETS_MS if ms >= wanted]
    for size in sizes[:-1]:
        if SpendCell.objects.filter(size=size, records__gt=0)[: limit + 1].count() <= limit:
            return size
    return sizes[-1]


def all_time_rows(bucket_ms: int, *, upto_id: int) -> list[Row]:
    """The kept cells of every record, less the records after `upto_id` (sent whole)."""
    return rows_read(
        "SELECT bucket, name, year, pay_type, amount, CAST(SUM(spent) AS BIGINT), "  # noqa: S608 - constants
        "CAST(SUM(records) AS BIGINT) FROM ("
        f"SELECT bucket, name, year, pay_type, amount, spent, records FROM {cells_table()} "
        f"WHERE size = %s AND records > 0 UNION ALL "
        f"{records_grouped('id > %s', size=bucket_ms, sign=-1)}"
        ") AS cells GROUP BY 1, 2, 3, 4, 5 HAVING SUM(records) > 0 ORDER BY 1",
        [bucket_ms, upto_id],
    )


def summary_frames(rows: list[Row], *, bucket_ms: int) -> Frames:
    frames = []
    for start in range(0, len(rows), MAX_RECORDS_PER_FRAME):
        chunk = rows[start : start + MAX_RECORDS_PER_FRAME]
        batch = summary_batch(chunk, bucket_ms=bucket_ms)
        frames.append((frame_text(HISTORY_FRAME, mode="full", summary=batch), len(chunk)))
    return frames


def summary_batch(rows: list[Row], *, bucket_ms: int) -> dict[str, Any]:
    """Columnar, like a record batch: buckets as differences, names and pay types coded."""
    buckets, names, years, pay_types, amounts, spent, counts = (
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
        "amount": amounts,
        "spent": spent,
        "records": counts,
    }
    return {
        "count": len(rows),
        "bucket": bucket_ms,
        "columns": columns,
        "dictionaries": dictionaries,
    }
