"""Spend cells: the records summed per time bucket, name, year, pay type and $10 amount bin,
for each of the time chart's bucket sizes, kept in step with the records by every write
(feeds.services), in the write's own transaction. A long history's charts are drawn from them
(dashboard.summaries): a connect reads a size's cells, not every record.

The time chart spans about TIME_BUCKETS buckets, so a size is of use only while the records
span no more than TIME_BUCKETS of its buckets. Once they span more, its cells are dropped for
good, and every size kept holds at most a few times TIME_BUCKETS buckets' worth of cells.
At the other end, a size whose one bucket spans all the records is the coarsest of use: a
coarser one's cells would be the same sums over again, written by every write (on a young
database ten sizes where three or four say it all: most of a write's cost). The coarser sizes
are made from it when the records' span outgrows it.

The one module with raw SQL for the cells: adding to a cell that may not exist yet
(INSERT ... SELECT ... ON CONFLICT DO UPDATE with a sum) is beyond the ORM. Its SELECT is the
ORM's (feeds.selectors.records_grouped); the rest is constant text, every value a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import Q

from feeds.models import CellState, SpendCell
from feeds.selectors import cells_sizes_kept, records_grouped, records_span_ms
from feeds.units import AMOUNT_BIN_DOLLARS, BUCKETS_MS, TIME_BUCKETS

__all__ = ["AMOUNT_BIN_DOLLARS", "BUCKETS_MS", "TIME_BUCKETS", "bucket_for", "cells_add"]

# The table is feeds_spendcell (SpendCell._meta.db_table; tests/test_cells.py checks it).
# The records are grouped once, at the finest size kept; each kept size's cells are summed
# from those (each size divides the next, so a finer bucket lies in one coarser bucket).
CELLS_UPSERT = (
    "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, spent, records) "
    "SELECT sizes.size, finest.cell_bucket / sizes.size * sizes.size, finest.cell_name, "
    "finest.cell_year, finest.cell_pay_type, finest.cell_amount, "
    "SUM(finest.cell_spent), SUM(finest.cell_records) FROM (",
    ") AS finest CROSS JOIN (",
    ") AS sizes WHERE 1 = 1 GROUP BY 1, 2, 3, 4, 5, 6"  # WHERE: SQLite's upsert-after-SELECT rule
    " ON CONFLICT (size, bucket, name, year, pay_type, amount) DO UPDATE SET "
    "spent = feeds_spendcell.spent + excluded.spent, "
    "records = feeds_spendcell.records + excluded.records",
)
SIZE_ROW = "SELECT CAST(%s AS BIGINT) AS size"
CELLS_FROM_FINER = (
    "INSERT INTO feeds_spendcell (size, bucket, name, year, pay_type, amount, spent, records) "
    "SELECT %s, bucket / %s * %s, name, year, pay_type, amount, SUM(spent), SUM(records) "
    "FROM feeds_spendcell WHERE size = %s GROUP BY 1, 2, 3, 4, 5, 6"
)


def bucket_for(span_ms: float) -> int:
    """The finest size of use for the span: TIME_BUCKETS of its buckets or fewer span it."""
    return next((ms for ms in BUCKETS_MS if ms >= span_ms / TIME_BUCKETS), BUCKETS_MS[-1])


def size_spanning(span_ms: float) -> int:
    """The coarsest size of use for the span: one of its buckets is as long (the records then
    lie in one or two of them)."""
    return next((ms for ms in BUCKETS_MS if ms >= span_ms), BUCKETS_MS[-1])


def cells_upsert(records: Q, *, sizes: Sequence[int], sign: int = 1) -> None:
    """Add the records matching `records` to the cells of each size (sign -1: take them
    away), adding to the cells already there. `sizes`: the sizes kept, finest first."""
    finest = records_grouped(
        records, size=sizes[0], amount_bin_dollars=AMOUNT_BIN_DOLLARS, sign=sign
    )
    finest_sql, params = finest.query.sql_with_params()
    head, middle, tail = CELLS_UPSERT
    sizes_sql = " UNION ALL ".join([SIZE_ROW] * len(sizes))
    with connection.cursor() as cursor:
        cursor.execute(head + finest_sql + middle + sizes_sql + tail, [*params, *sizes])


def cells_add(records: Q, *, sign: int = 1) -> list[int]:
    """Add the records matching `records` to the cells of every kept size (sign -1: take them
    away). Call it in the writing transaction, with the records as they are stored. Answers
    the sizes kept (for cells_span_follow: a query spared)."""
    sizes = cells_sizes_kept()  # a query: once, not once a size
    cells_upsert(records, sizes=sizes, sign=sign)
    return sizes


def sizes_keep(*, finest: int, coarsest: int) -> None:
    CellState.objects.update_or_create(
        pk=CellState.ROW_ID, defaults={"finest_ms": finest, "coarsest_ms": coarsest}
    )


def cells_coarser_make(*, coarsest: int, wanted: int) -> None:
    """Make the cells of each size above `coarsest` up to `wanted`, each from the one below
    it: a few buckets of cells each, not the records."""
    sizes = [ms for ms in BUCKETS_MS if coarsest <= ms <= wanted]
    with connection.cursor() as cursor:
        for finer, size in pairwise(sizes):
            cursor.execute(CELLS_FROM_FINER, [size, size, size, finer])


def cells_span_follow(*, sizes: Sequence[int] | None = None) -> None:
    """Keep the sizes the records' span calls for: call it after records are added (`sizes`:
    the sizes kept, when cells_add has just answered them). Coarser sizes are made first,
    from the coarsest kept, before the finest that the span outgrew are dropped."""
    kept = list(sizes) if sizes is not None else cells_sizes_kept()
    span = records_span_ms()
    finest, coarsest = max(kept[0], bucket_for(span)), max(kept[-1], size_spanning(span))
    if coarsest > kept[-1]:
        cells_coarser_make(coarsest=kept[-1], wanted=coarsest)
    if finest > kept[0]:
        SpendCell.objects.filter(size__lt=finest).delete()
    if (finest, coarsest) != (kept[0], kept[-1]):
        sizes_keep(finest=finest, coarsest=coarsest)


def cells_rebuild() -> None:
    """Make the cells afresh from the stored records: after records were written around
    feeds.services (the benchmarks' fill)."""
    with transaction.atomic():
        span = records_span_ms()
        finest, coarsest = bucket_for(span), size_spanning(span)
        sizes_keep(finest=finest, coarsest=coarsest)
        SpendCell.objects.all().delete()
        cells_upsert(Q(), sizes=[finest])
        cells_coarser_make(coarsest=finest, wanted=coarsest)
