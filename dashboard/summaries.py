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
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from dashboard.wire import Frames, summary_frames
from feeds.cells import AMOUNT_BIN_DOLLARS, bucket_for
from feeds.selectors import (
    CellRow,
    SyncPoint,
    cells_count_upto,
    cells_net,
    cells_sizes_kept,
    record_latest_but,
    records_grouped,
    records_span_ms,
    since_moment,
    sync_point,
)
from feeds.snapshots import snapshot


@dataclass(frozen=True)
class Summary:
    """A full history's records with ids up to `upto_id` go summarised in `bucket_ms` buckets."""

    upto_id: int
    bucket_ms: int

    def end(self) -> dict[str, int]:
        """What history_end says of it."""
        return {"upto_id": self.upto_id, "bucket": self.bucket_ms}


def summary_history(
    *, since_ms: int = 0, span_ms: int = 0
) -> tuple[SyncPoint, Summary | None, Frames]:
    """The sync point, and what a full history up to it summarises, with its frames: no
    summary when it holds no more than DASHBOARD_HISTORY_RAW_LIMIT records. A time range's
    buckets are for the span its chart shows (`span_ms`; else all since `since_ms`)."""
    with snapshot():
        point = sync_point()
        upto_id = record_latest_but(skip=settings.DASHBOARD_HISTORY_RAW_LIMIT, since_ms=since_ms)
        if upto_id is None:
            return point, None, []
        if since_ms:  # the page's range: the time chart spans it
            bucket = bucket_for(span_ms or time.time() * 1000 - since_ms)
            in_range = Q(id__lte=upto_id, created__gte=since_moment(since_ms))
            grouped = records_grouped(in_range, size=bucket, amount_bin_dollars=AMOUNT_BIN_DOLLARS)
            rows: list[CellRow] = sorted(grouped)
        else:  # all time: the chart spans the records
            bucket = all_time_bucket()
            rows = all_time_rows(bucket, upto_id=upto_id)
    summary = Summary(upto_id=upto_id, bucket_ms=bucket)
    return point, summary, summary_frames(rows, bucket_ms=bucket)


def all_time_bucket() -> int:
    """The time chart's bucket for the records' span; or a coarser one, while the kept cells
    of that one are more than DASHBOARD_SUMMARY_MAX_ROWS."""
    kept = cells_sizes_kept()
    wanted = bucket_for(records_span_ms())
    limit = settings.DASHBOARD_SUMMARY_MAX_ROWS
    sizes = [ms for ms in kept if ms >= wanted] or kept[-1:]
    for size in sizes[:-1]:
        if cells_count_upto(size=size, limit=limit) <= limit:
            return size
    return sizes[-1]


def all_time_rows(bucket_ms: int, *, upto_id: int) -> list[CellRow]:
    """The kept cells of every record, less the records after `upto_id` (sent whole)."""
    return cells_net(
        cells=Q(size=bucket_ms),
        records=Q(id__gt=upto_id),
        sign=-1,
        size=bucket_ms,
        amount_bin_dollars=AMOUNT_BIN_DOLLARS,
    )
