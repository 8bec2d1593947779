"""The kept totals (PeriodSpend): every write adds its records' spend to the period cells
they fall in and takes away what it replaced or deleted, in its own transaction; a budget's
spend is then one cell, never a scan of the records.

Each record lands in its own day cell (its name and pay type), and in the cells of the
scopes (period, name or every name, pay type or every pay type: ANY) that some budget follows,
not in every scope of every period: a write updates about a third of the rows it would
otherwise (each row of an upsert costs the statement about 9 µs on PostgreSQL). A scope's
cells are summed from the day cells when a budget starts following it (scopes_follow), under
the change sequence's lock that every write takes, so no write slips between; a process that
wrote with an older idea of the scopes learns of it from the same statement's token and adds
the rest (budgets.services).

The upsert is the only SQL text here, and it is constant: the rows travel as a parameter (a
JSON array), never in the statement.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, tzinfo
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from budgets.models import ANY, Budget, Period, PeriodSpend
from budgets.periods import midnight, period_start
from feeds.models import SpendRecord
from feeds.signals import VALUE_FIELDS, SpendValues
from feeds.units import cents

Key = tuple[str, Any, str, str]  # period, start (as the statement carries it), name, pay type
Scope = tuple[str, str, str]  # period, person, pay type (ANY: every one)
# Period.values builds a new list at each call (Django's enum): this is read on every write.
PERIODS = tuple(Period.values)
UPSERT_ROWS = 5000  # a bounded parameter a statement, however large a rebuild's batch

# Constant statements, one a vendor: the table is PeriodSpend's (tests.test_budgets_services
# checks the names). The new spend of each cell written comes back, with the budgets' token as
# the write sees it (BudgetsVersion); the start in a form cheap to read back (SQLite: the text
# it was sent as; PostgreSQL: epoch seconds, not a datetime made for each row). On SQLite,
# WHERE true: without it the parser would read ON CONFLICT as the SELECT's join constraint.
# The rows travel as one JSON array of arrays on both: on PostgreSQL, the driver quotes one
# string instead of six arrays' elements (0.53 against 0.60 ms a write, side by side); and
# answering only the cells budgets follow, joined in a WITH, took longer to plan than the few
# rows it spared (0.75 against 0.60 ms).
UPSERT = {
    "sqlite": (
        "INSERT INTO budgets_periodspend (period, start, name, pay_type, spent, records)"
        " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
        " json_extract(value, '$[2]'), json_extract(value, '$[3]'),"
        " json_extract(value, '$[4]'), json_extract(value, '$[5]')"
        " FROM json_each(%s) WHERE true"
        " ON CONFLICT (period, start, name, pay_type) DO UPDATE SET"
        " spent = budgets_periodspend.spent + excluded.spent,"
        " records = budgets_periodspend.records + excluded.records"
        " RETURNING period, CAST(start AS TEXT), name, pay_type, spent,"
        " (SELECT MAX(token) FROM budgets_budgetsversion)"
    ),
    "postgresql": (
        "INSERT INTO budgets_periodspend (period, start, name, pay_type, spent, records)"
        " SELECT cell->>0, CAST(cell->>1 AS timestamptz), cell->>2, cell->>3,"
        " CAST(cell->>4 AS bigint), CAST(cell->>5 AS bigint)"
        " FROM json_array_elements(CAST(%s AS json)) AS cell"
        " ON CONFLICT (period, start, name, pay_type) DO UPDATE SET"
        " spent = budgets_periodspend.spent + excluded.spent,"
        " records = budgets_periodspend.records + excluded.records"
        " RETURNING period, CAST(EXTRACT(EPOCH FROM start) AS bigint), name, pay_type, spent,"
        " (SELECT MAX(token) FROM budgets_budgetsversion)"
    ),
}


class Moved(NamedTuple):
    """What a write did to the current periods: the new spend (cents) of each scope it moved,
    and the budgets' token as the write saw it (None: no token row, e.g. after a flush)."""

    spent: dict[Scope, int]
    token: int | None


@lru_cache(maxsize=256)
@lru_cache(maxsize=256)
def day_starts(day: date, zone: tzinfo, vendor: str) -> tuple[tuple[str, str, Any], ...]:
    """Each period's start holding `day`: the period, the start as the statement's parameters
    carry it (text: SQLite's stored form, ISO for PostgreSQL, cheaper for its driver than a
    datetime) and as its answer gives it back (SQLite: the same text; PostgreSQL: epoch
    seconds). Every write asks for the same few days."""
    moment = midnight(day, zone)
    answer: list[tuple[str, str, Any]] = []
    for period in PERIODS:
        start = period_start(period=period, moment=moment, zone=zone)
        if vendor == "sqlite":
            text = str(connection.ops.adapt_datetimefield_value(start))
            answer.append((period, text, text))
        else:
            answer.append((period, start.isoformat(), int(start.timestamp())))
    return tuple(answer)


DAY = Period.DAY.value


def scope_is_base(scope: Scope) -> bool:
    """A day cell of one name and pay type: kept for every record; each other cell is summed
    from these when a budget starts following its scope."""
    return scope[0] == DAY and ANY not in scope[1:]


def deltas_sum(
    *,
    added: Iterable[SpendValues],
    removed: Iterable[SpendValues],
    followed: Collection[Scope],
    base: bool = True,
) -> dict[Key, list[int]]:
    """Cents and record counts to add to each period cell (negative: to take away): the
    records' own day cells (unless not `base`), and the cells of the scopes among `followed`
    (those budgets follow) that the records are in."""
    zone, vendor = timezone.get_default_timezone(), connection.vendor
    groups: dict[tuple[date, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for sign, values in ((1, added), (-1, removed)):
        for created, name, pay_type, spent in values:
            group = groups[(created.astimezone(zone).date(), name, pay_type)]
            group[0] += sign * cents(spent)
            group[1] += sign
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for (day, name, pay_type), (amount, count) in groups.items():
        if amount == count == 0:
            continue
        for period, start, _ in day_starts(day, zone, vendor):
            scopes = [
                scope
                for scope in ((name, pay_type), (name, ANY), (ANY, pay_type), (ANY, ANY))
                if (period, *scope) in followed and not scope_is_base((period, *scope))
            ]
            if base and period == DAY:
                scopes.append((name, pay_type))
            for scope in scopes:
                delta = deltas[(period, start, *scope)]
                delta[0] += amount
                delta[1] += count
    return {key: delta for key, delta in deltas.items() if delta != [0, 0]}


def totals_apply(
    *,
    added: Sequence[SpendValues],
    removed: Sequence[SpendValues],
    followed: Collection[Scope],
    base: bool = True,
    moment: datetime | None = None,
) -> Moved | None:
    """Add a write's changes to the kept totals (see deltas_sum), in one statement for a
    generator's batch; call it in the writing transaction. Answers, from the same statement,
    what moved in the periods holding `moment` (now); None when the write moved no spend."""
    deltas = deltas_sum(added=added, removed=removed, followed=followed, base=base)
    if not deltas:
        return None
    zone = timezone.get_default_timezone()
    today = (moment or timezone.now()).astimezone(zone).date()
    current = {(period, start) for period, _, start in day_starts(today, zone, connection.vendor)}
    rows = [(*key, spent, count) for key, (spent, count) in deltas.items()]
    spent: dict[Scope, int] = {}
    token = None
    with connection.cursor() as cursor:
        for first in range(0, len(rows), UPSERT_ROWS):
            part = rows[first : first + UPSERT_ROWS]
            cursor.execute(UPSERT[connection.vendor], [json.dumps(part)])
            for row in cursor.fetchall():
                period, start, name, pay_type, cents_, token = row
                if (period, start) in current:
                    spent[(period, name, pay_type)] = cents_
    return Moved(spent, token)


def scopes_followed() -> set[Scope]:
    """The scopes some budget follows (their cells are kept), but the day cells of one name
    and pay type, which are kept for every record."""
    scopes = Budget.objects.order_by().values_list("period", "person", "pay_type").distinct()
    return {scope for scope in scopes if not scope_is_base(scope)}


def scopes_follow(*, before: set[Scope], after: set[Scope]) -> None:
    """Keep the cells of the scopes budgets follow now (`after`), no longer those they
    followed (`before`). Call it in the transaction of a budget write, holding the change
    sequence's lock (feeds.services.sequence_lock): a newly followed scope's cells are summed
    from the records' day cells as every write committed them, and each later write sees the
    budgets' new token (budgets.services)."""
    scopes_drop(scopes=before ^ after)
    zone = timezone.get_default_timezone()
    for period, name, pay_type in after - before:
        days = PeriodSpend.objects.filter(period=DAY).exclude(name=ANY).exclude(pay_type=ANY)
        if name != ANY:
            days = days.filter(name=name)
        if pay_type != ANY:
            days = days.filter(pay_type=pay_type)
        sums: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
        for day, spent, count in days.order_by().values_list("start", "spent", "records"):
            cell = sums[period_start(period=period, moment=day, zone=zone)]
            cell[0] += spent
            cell[1] += count
        PeriodSpend.objects.bulk_create(
            PeriodSpend(
                period=period,
                start=start,
                name=name,
                pay_type=pay_type,
                spent=spent,
                records=count,
            )
            for start, (spent, count) in sums.items()
        )


def scopes_drop(*, scopes: Collection[Scope]) -> None:
    """Delete the cells of `scopes` (no budget follows them): none stay stale. Never the
    records' own day cells."""
    if scopes := [scope for scope in scopes if not scope_is_base(scope)]:
        cells = Q()
        for period, name, pay_type in scopes:
            cells |= Q(period=period, name=name, pay_type=pay_type)
        PeriodSpend.objects.filter(cells).delete()


def totals_rebuild(*, records: Any = None, chunk_size: int = 5000) -> int:
    """Make the kept totals afresh from the stored records (after the records were written
    around feeds.services, or TIME_ZONE changed): `records`, a migration's historical model.
    Returns the records read."""
    with transaction.atomic():
        PeriodSpend.objects.all().delete()
        followed = scopes_followed()
        values = (records or SpendRecord).objects.order_by().values_list(*VALUE_FIELDS)
        batch: list[SpendValues] = []
        count = 0
        for row in values.iterator(chunk_size=chunk_size):
            batch.append(SpendValues(*row))
            if len(batch) >= chunk_size:
                totals_apply(added=batch, removed=[], followed=followed)
                count, batch = count + len(batch), []
        totals_apply(added=batch, removed=[], followed=followed)
    return count + len(batch)


class Scoped(Protocol):
    """What a budget's spend depends on (a Budget, or its values)."""

    pk: Any
    period: str
    person: str
    pay_type: str


def budgets_spent(*, budgets: Sequence[Scoped], moment: datetime) -> dict[Any, int]:
    """Each budget's spend (cents) in its period holding `moment`: one query, one cell a
    budget (its scope's)."""
    if not budgets:
        return {}
    zone = timezone.get_default_timezone()
    current = Q()
    for period in {b.period for b in budgets}:
        current |= Q(period=period, start=period_start(period=period, moment=moment, zone=zone))
    cells = PeriodSpend.objects.filter(
        current,
        name__in={b.person for b in budgets},
        pay_type__in={b.pay_type for b in budgets},
    ).values_list("period", "name", "pay_type", "spent")
    spent = {(period, name, pay_type): cents_ for period, name, pay_type, cents_ in cells}
    return {b.pk: spent.get((b.period, b.person, b.pay_type), 0) for b in budgets}
