"""Spend cells: the records summed per time bucket, name, year, pay type and $10 amount bin,
for each of the time chart's bucket sizes, kept in step with the records by every write
(feeds.services), in the write's own transaction. A long history's charts are drawn from them
(dashboard.summaries): a connect reads a size's cells, not every record.

The time chart spans about TIME_BUCKETS buckets, so a size is of use only while the records
span no more than TIME_BUCKETS of its buckets. Once they span more, its cells are dropped for
good, and every size kept holds at most a few times TIME_BUCKETS buckets' worth of cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from django.db import connection, transaction

from feeds.models import ChangeSequence, SpendCell
from feeds.sql import CENTS, EPOCH_MS, GROUP_KEY, records_table

# The time chart's bucket sizes (static/dashboard/js/store.js): each divides the next, so the
# page can merge buckets, and coarser cells can be made from finer ones.
BUCKETS_MS = tuple(
    seconds * 1000 for seconds in (1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800)
)
TIME_BUCKETS = 120
AMOUNT_BIN_DOLLARS = 10  # the amount chart's bins (store.js)
KEY = ("size", "bucket", "name", "year", "pay_type", "amount")


def bucket_for(span_ms: float) -> int:
    return next((ms for ms in BUCKETS_MS if ms >= span_ms / TIME_BUCKETS), BUCKETS_MS[-1])


def cells_table() -> str:
    return connection.ops.quote_name(SpendCell._meta.db_table)


def cell_values(size: str, *, sign: int = 1) -> str:
    """SELECT columns that sum records in cells of `size` (SQL), grouped by the first five:
    bucket, name, year, pay type, amount, then spent (cents) and records, times `sign`."""
    vendor = connection.vendor
    cents, created_ms, key = CENTS[vendor].format("spent"), EPOCH_MS[vendor], GROUP_KEY[vendor]
    return (
        f"{created_ms.format('created')} / {size} * {size}, {key.format('name')}, year, "
        f"{key.format('pay_type')}, {cents} / {AMOUNT_BIN_DOLLARS * 100} * {AMOUNT_BIN_DOLLARS}, "
        f"{sign} * CAST(SUM({cents}) AS BIGINT), {sign} * COUNT(*)"
    )


def records_grouped(where: str, *, size: int, sign: int = 1) -> str:
    """SELECT the records matching `where`, summed in cells of `size`."""
    return (
        f"SELECT {cell_values(str(size), sign=sign)} FROM {records_table()} "  # noqa: S608 - constants
        f"WHERE {where} GROUP BY 1, 2, 3, 4, 5"
    )


def cells_insert(where: str, *, sizes: Sequence[int], sign: int = 1) -> str:
    """INSERT the records matching `where` into the cells of each size, adding to the cells
    already there."""
    table, key = cells_table(), ", ".join(KEY)
    table_of_sizes = " UNION ALL ".join(f"SELECT {ms} AS size" for ms in sizes)
    return (
        f"INSERT INTO {table} ({key}, spent, records) "  # noqa: S608 - constants
        f"SELECT sizes.size, {cell_values('sizes.size', sign=sign)} FROM {records_table()} "
        f"CROSS JOIN ({table_of_sizes}) AS sizes WHERE {where} GROUP BY 1, 2, 3, 4, 5, 6 "
        f"ON CONFLICT ({key}) DO UPDATE SET spent = {table}.spent + excluded.spent, "
        f"records = {table}.records + excluded.records"
    )


def finest_kept() -> int:
    """The finest bucket size whose cells are kept; every coarser one is kept too."""
    sequence = ChangeSequence.objects.filter(pk=ChangeSequence.ROW_ID)
    return sequence.values_list("finest_cell_ms", flat=True).first() or BUCKETS_MS[0]


def cells_add(where: str, params: Sequence[Any], *, sign: int = 1) -> None:
    """Add the records matching `where` to the cells of every kept size (sign -1: take them
    away). Call it in the writing transaction, with the records as they are stored."""
    sizes = [ms for ms in BUCKETS_MS if ms >= finest_kept()]
    with connection.cursor() as cursor:
        cursor.execute(cells_insert(where, sizes=sizes, sign=sign), params)


def records_span_ms() -> int:
    """Milliseconds from the first record's creation to the last one's; 0 with no records."""
    table, created_ms = records_table(), EPOCH_MS[connection.vendor].format("created")
    ends = []
    with connection.cursor() as cursor:
        for order in ("", "DESC"):
            query = f"SELECT {created_ms} FROM {table} ORDER BY created {order} LIMIT 1"  # noqa: S608 - constants
            cursor.execute(query, [])  # [], so that "%%" reads as "%" on SQLite too
            ends.append((cursor.fetchone() or [0])[0])
    return ends[1] - ends[0]


def cells_outgrown_drop() -> None:
    """Stop keeping the sizes too fine for the records' span: call it after records are added."""
    needed = bucket_for(records_span_ms())
    if needed > finest_kept():
        SpendCell.objects.filter(size__lt=needed).delete()
        ChangeSequence.objects.filter(pk=ChangeSequence.ROW_ID).update(finest_cell_ms=needed)


def cells_rebuild() -> None:
    """Make the cells afresh from the stored records: after records were written around
    feeds.services (the migration that made the cells, the benchmarks' fill)."""
    table, key = cells_table(), ", ".join(KEY)
    with transaction.atomic(), connection.cursor() as cursor:
        finest = bucket_for(records_span_ms())
        ChangeSequence.objects.filter(pk=ChangeSequence.ROW_ID).update(finest_cell_ms=finest)
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - constants
        cursor.execute(cells_insert("1 = 1", sizes=[finest]), [])
        sizes = [ms for ms in BUCKETS_MS if ms >= finest]
        for finer, size in pairwise(sizes):
            # Each size from the one below it: a few cells, not every record.
            cursor.execute(
                f"INSERT INTO {table} ({key}, spent, records) SELECT {size}, "  # noqa: S608
                f"bucket / {size} * {size}, name, year, pay_type, amount, SUM(spent), "
                f"SUM(records) FROM {table} WHERE size = %s GROUP BY 1, 2, 3, 4, 5, 6",
                [finer],
            )
