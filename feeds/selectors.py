"""Every read of spend records, tombstones, cells and the change sequence, as typed functions
(writes are in feeds.services), for the dashboard and the API. Values come in integer units
(feeds.units), computed by the database.

Keyset pagination: each chunk is an index range scan, and no cursor or transaction stays
open between chunks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast

from feeds.models import CellState, ChangeSequence, SpendCell, SpendDeletion, SpendRecord
from feeds.snapshots import snapshot
from feeds.tiling import created_tiling
from feeds.units import (
    AMOUNT_BIN_DOLLARS,
    BUCKETS_MS,
    RECORD_COLUMNS,
    ByteOrder,
    Cents,
    EpochMs,
    Whole,
    epoch_ms,
)

Row = tuple[Any, ...]
# A cell row: bucket start (epoch ms), name, year, pay type, amount bin (dollars), spent
# (cents), records.
CellRow = tuple[int, str, int, str, int, int, int]


@dataclass(frozen=True)
class SyncPoint:
    """The committed end of the change sequence: everything at or below it is committed."""

    position: int
    epoch: str


def sync_point() -> SyncPoint:
    row = ChangeSequence.objects.values_list("position", "epoch").filter(pk=ChangeSequence.ROW_ID)
    position, epoch = row.first() or (0, "")
    return SyncPoint(position, epoch)


def since_moment(since_ms: int) -> datetime:
    return datetime.fromtimestamp(since_ms / 1000, UTC)


def rows_fetch(query: QuerySet[Any, Any]) -> list[Row]:
    """A values_list() query's rows as the database returns them, fetched in one call: Django's
    own iteration fetches 100 rows a call, a fifth of a long history's read time. Only for
    columns that need no conversion (integers, text: feeds.units)."""
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def records_by_id(*, after: int, upto: int, size: int, since_ms: int = 0) -> list[Row]:
    """Records whose last change is at or below `upto` and created at `since_ms` or later, by
    id after `after`: their values in RECORD_FIELDS order, then their position."""
    records = SpendRecord.objects.filter(id__gt=after, seq__lte=upto)
    if since_ms:
        records = records.filter(created__gte=since_moment(since_ms))
    return rows_fetch(records.order_by("id").values_list(*RECORD_COLUMNS, "seq")[:size])


def records_changed(*, after: int, upto: int, size: int) -> list[Row]:
    """Records created or updated at positions in (after, upto], by position; as
    records_by_id()."""
    records = SpendRecord.objects.filter(seq__gt=after, seq__lte=upto).order_by("seq")
    return rows_fetch(records.values_list(*RECORD_COLUMNS, "seq")[:size])


def deletions_changed(*, after: int, upto: int, size: int) -> list[tuple[int, int]]:
    """(position, record id) of the records deleted at positions in (after, upto]."""
    deletions = SpendDeletion.objects.filter(seq__gt=after, seq__lte=upto).order_by("seq")
    return list(deletions.values_list("seq", "record_id")[:size])


def record_latest_but(*, skip: int, since_ms: int = 0) -> int | None:
    """The id of the latest record but `skip` (created since `since_ms`), if there is one."""
    records = SpendRecord.objects.all()
    if since_ms:
        records = records.filter(created__gte=since_moment(since_ms))
    return records.order_by("-id").values_list("id", flat=True)[skip : skip + 1].first()


def records_span_ms() -> int:
    """Milliseconds from the first record's creation to the last one's; 0 with no records.

    Read from the `created` index's ends: PostgreSQL answers MIN and MAX in one aggregate from
    the index (one query a write, not two); SQLite only one at a time, and both in one
    aggregate scanned the table (2.1 s at 10M records, on every write and every summary), so
    there it is two reads."""
    if connection.vendor == "postgresql":
        ends = SpendRecord.objects.aggregate(first=Min("created"), last=Max("created"))
        if ends["first"] is None:
            return 0
        return epoch_ms(ends["last"]) - epoch_ms(ends["first"])
    created = SpendRecord.objects.values_list("created", flat=True)
    first, last = created.order_by("created").first(), created.order_by("-created").first()
    if first is None or last is None:
        return 0
    return epoch_ms(last) - epoch_ms(first)


def cells_sizes_kept() -> list[int]:
    """The bucket sizes whose spend cells are kept (feeds.cells), finest first: every size
    from the finest kept to the coarsest; before any state is written, the finest alone."""
    state = CellState.objects.filter(pk=CellState.ROW_ID)
    finest, coarsest = state.values_list("finest_ms", "coarsest_ms").first() or (
        BUCKETS_MS[0],
        BUCKETS_MS[0],
    )
    return [ms for ms in BUCKETS_MS if finest <= ms <= coarsest]


def cells_of_size(*, size: int) -> list[CellRow]:
    """The kept cells of one bucket size that hold records."""
    cells = SpendCell.objects.filter(size=size, records__gt=0)
    return list(
        cells.values_list("bucket", "name", "year", "pay_type", "amount", "spent", "records")
    )


# Kept cells plus or less some records' own, summed by some of the cell keys: the sum over
# both, which the ORM cannot say (it neither groups a union nor adds up a subquery's rows).
# Its inner SELECTs are the ORM's; the keys are CELL_KEYS' column names, never a caller's text.
CELL_KEYS = ("bucket", "name", "year", "pay_type", "amount")
CELLS_NET = (
    "SELECT {keys}, CAST(SUM(cell_spent) AS BIGINT), CAST(SUM(cell_records) AS BIGINT) FROM (",
    ") AS cells GROUP BY {places} HAVING SUM(cell_records) > 0 ORDER BY 1",
)


def cells_net(
    *,
    cells: Q,
    records: Q | None,
    sign: int,
    size: int,
    amount_bin_dollars: int,
    keys: tuple[str, ...] = CELL_KEYS,
) -> list[Row]:
    """The kept cells matching `cells` with the records matching `records` added (sign 1) or
    taken away (-1), as rows of `keys` (CELL_KEYS, in their order), spent (cents) and
    records, by those keys; `size` buckets the records, when `keys` holds the bucket."""
    if not set(keys) <= set(CELL_KEYS):
        raise ValueError(f"not cell keys: {keys}")
    # Named as records_grouped's columns: the union's names are its first part's, and a part
    # that can match nothing is left out of it.
    named = {f"cell_{key}": F(key) for key in (*keys, "spent", "records")}
    kept = SpendCell.objects.filter(cells, records__gt=0).annotate(**named).values_list(*named)
    if records is not None:
        grouped = records_grouped(
            records, size=size, amount_bin_dollars=amount_bin_dollars, sign=sign, keys=keys
        )
        kept = kept.union(grouped, all=True)
    inner_sql, params = kept.query.sql_with_params()
    places = ", ".join(str(place) for place in range(1, len(keys) + 1))
    names = ", ".join(f"cell_{key}" for key in keys)
    head, tail = (part.format(keys=names, places=places) for part in CELLS_NET)
    with connection.cursor() as cursor:
        cursor.execute(head + inner_sql + tail, params)
        return cursor.fetchall()


def cells_count_upto(*, size: int, limit: int) -> int:
    """How many cells of a size hold records, counted up to `limit` + 1."""
    return SpendCell.objects.filter(size=size, records__gt=0)[: limit + 1].count()


def records_grouped(
    condition: Q,
    *,
    size: int,
    amount_bin_dollars: int,
    with_size: bool = False,
    sign: int = 1,
    keys: tuple[str, ...] = CELL_KEYS,
) -> QuerySet[SpendRecord, Row]:
    """The records matching `condition` summed in cells: rows of bucket start, name, year, pay
    type, amount bin (or those of CELL_KEYS in `keys`), spent (cents) and records, times
    `sign`; with `with_size`, the size first. Names group byte by byte (ByteOrder)."""
    bucket_ms = Value(size, output_field=BigIntegerField())
    bin_cents = Value(amount_bin_dollars * 100, output_field=BigIntegerField())
    bin_dollars = Value(amount_bin_dollars, output_field=BigIntegerField())
    columns = {
        "cell_bucket": Whole(EpochMs("created") / bucket_ms * bucket_ms),
        "cell_name": ByteOrder("name"),
        "cell_year": F("year"),
        "cell_pay_type": ByteOrder("pay_type"),
        "cell_amount": Whole(Cents("spent") / bin_cents * bin_dollars),
    }
    grouped = {f"cell_{key}": columns[f"cell_{key}"] for key in keys}
    if with_size:
        grouped = {"cell_size": bucket_ms, **grouped}
    factor = Value(sign, output_field=BigIntegerField())
    return (
        SpendRecord.objects.filter(condition)
        .order_by()
        .annotate(**grouped)
        .values_list(*grouped)
        .annotate(
            cell_spent=Whole(factor * Cast(Sum(Cents("spent")), BigIntegerField())),
            cell_records=Whole(factor * Count("*")),
        )
    )


# The API's reads (feeds.api): filtered records, pages by id, totals.


@dataclass(frozen=True)
class SpendFilter:
    """The dashboard's filters: a created range, a person, a pay type, a year."""

    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    name: str | None = None
    pay_type: str | None = None
    year: int | None = None


def records_filtered(*, spend_filter: SpendFilter) -> QuerySet[SpendRecord]:
    records = SpendRecord.objects.all()
    if spend_filter.created_from is not None:
        records = records.filter(created__gte=spend_filter.created_from)
    if spend_filter.created_to is not None:
        records = records.filter(created__lt=spend_filter.created_to)
    if spend_filter.name is not None:
        records = records.filter(name=spend_filter.name)
    if spend_filter.pay_type is not None:
        records = records.filter(pay_type=spend_filter.pay_type)
    if spend_filter.year is not None:
        records = records.filter(year=spend_filter.year)
    return records


def records_page(*, spend_filter: SpendFilter, after_id: int = 0, limit: int) -> list[SpendRecord]:
    """Up to `limit` records with ids above `after_id`, by id: ids grow in commit order
    (writers take turns, feeds.services), so a page never skips a record written meanwhile."""
    records = records_filtered(spend_filter=spend_filter).filter(id__gt=after_id)
    return list(records.order_by("id")[:limit])


@dataclass
class SpendTotals:
    """Spend in cents, in all and by year, person and pay type: what the dashboard totals."""

    count: int = 0
    spent: int = 0
    by_year: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    by_pay_type: dict[str, int] = field(default_factory=dict)


TOTALS_KEYS = ("name", "year", "pay_type")


def spend_totals(*, spend_filter: SpendFilter | None = None) -> SpendTotals:
    """What the dashboard's all-time summary reads, the kept cells (feeds.cells), with the
    records in the partial buckets at a created range's edges (feeds.tiling): a bounded
    read at any number of records, exact to the cent (the cells hold whole cents). Read in
    one snapshot (feeds.snapshots): a write can drop the finest sizes' cells between the read
    of the sizes and that of the cells. In a transaction already, that one's: its isolation."""
    with snapshot():
        return spend_totals_now(spend_filter=spend_filter or SpendFilter())


def spend_totals_now(*, spend_filter: SpendFilter) -> SpendTotals:
    """spend_totals, in the reader's transaction as it is."""
    sizes = cells_sizes_kept()
    tiling = created_tiling(
        created_from=spend_filter.created_from, created_to=spend_filter.created_to, sizes=sizes
    )
    columns = Q(
        **{
            column: value
            for column in TOTALS_KEYS
            if (value := getattr(spend_filter, column)) is not None
        }
    )
    cells = Q()
    for piece in tiling.pieces:
        cells |= Q(size=piece.size) & bounds_q("bucket", piece.first, piece.end)
    records = Q()
    for created_from, created_to in tiling.edges:
        records |= bounds_q("created", created_from, created_to)
    rows = cells_net(
        cells=columns & cells if tiling.pieces else Q(size__in=[]),  # a range in one bucket
        records=columns & records if tiling.edges else None,
        sign=1,
        size=sizes[0],
        amount_bin_dollars=AMOUNT_BIN_DOLLARS,
        keys=TOTALS_KEYS,
    )
    return totals_of(rows)


def bounds_q(column: str, low: object | None, high: object | None) -> Q:
    """[low, high) of a column; None: unbounded."""
    bounds = {f"{column}__gte": low, f"{column}__lt": high}
    return Q(**{lookup: value for lookup, value in bounds.items() if value is not None})


def totals_of(rows: list[Row]) -> SpendTotals:
    """Totals from rows of (name, year, pay type, spent, records)."""
    totals = SpendTotals()
    by_name: Counter[str] = Counter()
    by_year: Counter[int] = Counter()
    by_pay_type: Counter[str] = Counter()
    for name, year, pay_type, spent, count in rows:
        totals.count += count
        totals.spent += spent
        by_name[name] += spent
        by_year[year] += spent
        by_pay_type[pay_type] += spent
    # The page's groups hide empty bins: a group of $0.00 is not shown.
    totals.by_year = {str(year): spent for year, spent in sorted(by_year.items()) if spent}
    totals.by_name = {name: spent for name, spent in sorted(by_name.items()) if spent}
    totals.by_pay_type = {kind: spent for kind, spent in sorted(by_pay_type.items()) if spent}
    return totals
