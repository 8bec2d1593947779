"""The units records are told and summed in: money in integer cents, times in integer epoch
milliseconds, and the time buckets and amount bins of the charts and the spend cells.

What a change message carries (feeds.broadcast) and what the reads compute in the database
(feeds.selectors), so both agree to the cent and the millisecond. Integers cross the channel
layer (msgpack) unchanged and need no float rounding anywhere downstream. No model is imported
at run time: dashboard.wire, and the bench's clients through it, use this without a Django
setup.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import BigIntegerField, CharField, ExpressionWrapper, Func

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

    from feeds.models import SpendRecord

# A record's values, in this order, wherever records travel as rows or columns.
RECORD_FIELDS = (
    "id",
    "name",
    "spent",
    "year",
    "pay_type",
    "quantity",
    "total",
    "tip",
    "created",
    "updated",
)
MONEY_FIELDS = frozenset({"spent", "total", "tip"})
TIME_FIELDS = frozenset({"created", "updated"})

# The time chart's bucket sizes: each divides the next, so the page can merge buckets, and
# coarser cells can be made from finer ones (feeds.cells). The page takes them from the server
# (dashboard.wire.page_constants), as it does the amount bins and the target bucket count.
BUCKETS_MS = tuple(
    seconds * 1000 for seconds in (1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800)
)
TIME_BUCKETS = 120  # about this many buckets span the time chart
AMOUNT_BIN_DOLLARS = 10  # the amount chart's bins

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)


def cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the epoch, rounded down (exact: no float on the way)."""
    return (moment - EPOCH) // MILLISECOND


def moment_of(ms: int) -> datetime:
    return EPOCH + ms * MILLISECOND


def record_values(record: SpendRecord) -> tuple[Any, ...]:
    """One record's values in RECORD_FIELDS order, in integer units."""
    values: list[Any] = []
    for field in RECORD_FIELDS:
        value = getattr(record, field)
        if field in MONEY_FIELDS:
            value = cents(value)
        elif field in TIME_FIELDS:
            value = epoch_ms(value)
        values.append(value)
    return tuple(values)


# The same, computed by the database: turning each value into a Decimal or an aware datetime
# only to turn it back into an integer took over half of the time of a 1M-record history
# (docs/benchmarks.md).


class Exact:
    """An integer expression whose values are used as the database returns them: Django would
    otherwise call int() on each (a quarter of a long history's read time)."""

    @property
    def convert_value(self) -> Any:
        return self._convert_value_noop  # type: ignore[attr-defined]


class Whole(Exact, ExpressionWrapper):
    """Integer arithmetic, such as bucketing, with no conversion of its values."""

    def __init__(self, expression: Any) -> None:
        super().__init__(expression, output_field=BigIntegerField())


class Cents(Exact, Func):
    output_field = BigIntegerField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return self.as_sql(
            compiler, connection, template="CAST(ROUND(%(expressions)s * 100) AS INTEGER)"
        )

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return self.as_sql(compiler, connection, template="(%(expressions)s * 100)::bigint")


# SQLite stores times as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds from the first
# 19 characters (reading the fraction would round .9995 up a second), milliseconds from the
# text. unixepoch() (SQLite 3.38) reads them in half the time strftime('%s') takes.
SQLITE_SECONDS = (
    "unixepoch(substr(%(expressions)s, 1, 19))"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
)


class EpochMs(Exact, Func):
    """Epoch milliseconds, rounded down as epoch_ms() does."""

    output_field = BigIntegerField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        template = f"({SQLITE_SECONDS} * 1000 + CAST(substr(%(expressions)s, 21, 3) AS INTEGER))"
        return self.as_sql(compiler, connection, template=template)

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        template = "floor(extract(epoch FROM %(expressions)s) * 1000)::bigint"
        return self.as_sql(compiler, connection, template=template)


class ByteOrder(Func):
    """A text column compared byte by byte: grouping a million names by bytes, not by the
    locale's collation, takes half the time on PostgreSQL. SQLite compares bytes already."""

    output_field = CharField()

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return self.as_sql(compiler, connection, template="%(expressions)s")

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _AsSqlType:
        return self.as_sql(compiler, connection, template='%(expressions)s COLLATE "C"')


# A record's values in RECORD_FIELDS order, in integer units, for values_list().
RECORD_COLUMNS = tuple(
    Cents(field) if field in MONEY_FIELDS else EpochMs(field) if field in TIME_FIELDS else field
    for field in RECORD_FIELDS
)
