"""The kept totals (PeriodSpend): every write adds its records' spend to the period cells
they fall in and takes away what it replaced or deleted, in its own transaction; a budget's
spend is then a sum over a few cells, never a scan of the records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from budgets.models import Budget, Period, PeriodSpend
from budgets.periods import period_start
from feeds.models import SpendRecord
from feeds.signals import VALUE_FIELDS, SpendValues
from feeds.units import cents

Key = tuple[str, datetime, str, str]  # period, start, name, pay type
UPSERT_ROWS = 1000  # 6,000 parameters a statement: inside SQLite's and PostgreSQL's limits


def deltas_sum(
    *, added: Iterable[SpendValues], removed: Iterable[SpendValues]
) -> dict[Key, list[int]]:
    """Cents and record counts to add to each period cell (negative: to take away)."""
    zone = timezone.get_default_timezone()
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    starts: dict[tuple[str, date], datetime] = {}  # a batch's records mostly share a day
    periods = Period.values  # a new list at each call: once a batch, not once a record
    for sign, values in ((1, added), (-1, removed)):
        for created, name, pay_type, spent in values:
            day = created.astimezone(zone).date()
            amount = sign * cents(spent)
            for period in periods:
                if (period, day) not in starts:
                    starts[(period, day)] = period_start(period=period, moment=created, zone=zone)
                delta = deltas[(period, starts[(period, day)], name, pay_type)]
                delta[0] += amount
                delta[1] += sign
    return {key: delta for key, delta in deltas.items() if delta != [0, 0]}


def totals_apply(*, added: Sequence[SpendValues], removed: Sequence[SpendValues]) -> None:
    """Add a write's changes to the kept totals; call it in the writing transaction."""
    deltas = deltas_sum(added=added, removed=removed)
    if not deltas:
        return
    table = connection.ops.quote_name(PeriodSpend._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (period, adapt(start), name, pay_type, spent, records)
        for (period, start, name, pay_type), (spent, records) in deltas.items()
    ]
    with connection.cursor() as cursor:
        for first in range(0, len(rows), UPSERT_ROWS):  # one statement, not one a row
            part = rows[first : first + UPSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} (period, start, name, pay_type, spent, records) "  # noqa: S608 - constants
                f"VALUES {values} ON CONFLICT (period, start, name, pay_type) "
                f"DO UPDATE SET spent = {table}.spent + excluded.spent, "
                f"records = {table}.records + excluded.records",
                [value for row in part for value in row],
            )


def totals_rebuild(*, records: Any = None, chunk_size: int = 5000) -> int:
    """Make the kept totals afresh from the stored records (after the records were written
    around feeds.services, or TIME_ZONE changed): `records`, a migration's historical model.
    Returns the records read."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(PeriodSpend._meta.db_table)}")  # noqa: S608
        values = (records or SpendRecord).objects.order_by().values_list(*VALUE_FIELDS)
        batch: list[SpendValues] = []
        count = 0
        for row in values.iterator(chunk_size=chunk_size):
            batch.append(SpendValues(*row))
            if len(batch) >= chunk_size:
                totals_apply(added=batch, removed=[])
                count, batch = count + len(batch), []
        totals_apply(added=batch, removed=[])
    return count + len(batch)


class Scoped(Protocol):
    """What a budget's spend depends on (a Budget, or its values)."""

    pk: Any
    period: str
    person: str
    pay_type: str


def scopes_spent(*, moment: datetime) -> dict[tuple[str, str, str], int]:
    """Spend (cents) in each period holding `moment`, per scope: (period, person, pay type),
    either of the last two empty for "any". One query over the current periods' cells."""
    zone = timezone.get_default_timezone()
    starts = {p: period_start(period=p, moment=moment, zone=zone) for p in Period.values}
    current = Q()
    for period, start in starts.items():
        current |= Q(period=period, start=start)
    cells = PeriodSpend.objects.filter(current).values_list("period", "name", "pay_type", "spent")
    spent: dict[tuple[str, str, str], int] = defaultdict(int)
    for period, name, pay_type, cents_ in cells:
        for scope in ((name, pay_type), (name, ""), ("", pay_type), ("", "")):
            spent[(period, *scope)] += cents_
    return spent


def budgets_spent(*, budgets: Sequence[Scoped], moment: datetime) -> dict[int, int]:
    """Each budget's spend (cents) in its period holding `moment`."""
    if not budgets:
        return {}
    spent = scopes_spent(moment=moment)
    return {b.pk: spent.get((b.period, b.person, b.pay_type), 0) for b in budgets}


def budgets_spent_rows(*, moment: datetime) -> list[tuple[int, str, str, str, int, int]]:
    """Every budget with its spend in its period holding `moment`, in one query: id, period,
    person, pay type, amount (cents), spent (cents). What each write reads to decide alerts,
    so it is SQL: the ORM's two queries took most of the time 50 budgets add to a write."""
    zone = timezone.get_default_timezone()
    adapt = connection.ops.adapt_datetimefield_value
    starts = []
    for period in Period.values:
        starts += [period, adapt(period_start(period=period, moment=moment, zone=zone))]
    budgets = connection.ops.quote_name(Budget._meta.db_table)
    cells = connection.ops.quote_name(PeriodSpend._meta.db_table)
    cases = " ".join(["WHEN %s THEN %s"] * len(Period.values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT b.id, b.period, b.person, b.pay_type, b.amount, "  # noqa: S608 - constants
            f"CAST(COALESCE(SUM(c.spent), 0) AS BIGINT) FROM {budgets} b LEFT JOIN {cells} c "
            f"ON c.period = b.period AND c.start = CASE b.period {cases} END "
            "AND (b.person = '' OR c.name = b.person) "
            "AND (b.pay_type = '' OR c.pay_type = b.pay_type) "
            "GROUP BY b.id, b.period, b.person, b.pay_type, b.amount",
            starts,
        )
        # The amount as the driver reads it (SQLite: a float or an int), to exact cents.
        return [(*row[:4], cents(Decimal(str(row[4]))), row[5]) for row in cursor.fetchall()]
