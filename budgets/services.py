"""Every write to budgets, and the alerts decided with each write of spend records.

Alerts are decided in the writing transaction (the one that moved the spend or the amount),
and made exactly-once by AlertEvent's unique constraint on (budget, threshold, period start):
the decision sees exactly what that write commits and rolls back with it, and the database,
not a process's memory, says whether an alert was raised before — so it holds across any
number of server processes, generator restarts, replays, and edits that cross the line back
and forth. A process remembers only what it saw committed (budgets.lines), to skip asking
again; forgetting (a new token) costs a query, never a second alert.

Each write decides alerts only for the budgets whose spend it moved (budgets.totals answers
those from the write's own statement). So a forecast that crosses the line with time alone,
its spend still (the forecast is not shown before a tenth of the period), is raised by the
next write that moves that budget, not by another budget's write.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets.doorbell import budgets_changed_ring
from budgets.emails import alert_emails_send_soon
from budgets.lines import (
    LINES,
    AlertKey,
    BudgetLine,
    budget_lines_check,
    budget_lines_moved,
    budgets_version_change,
)
from budgets.models import AlertEvent, Budget, Threshold
from budgets.periods import period_bounds
from budgets.totals import (
    Scope,
    Scoped,
    budgets_spent,
    scopes_drop,
    scopes_follow,
    scopes_followed,
    totals_apply,
)
from feeds.services import sequence_lock
from feeds.signals import SpendValues
from feeds.units import cents

ACTUAL_WARNING = (4, 5)  # 80 %, as a fraction: exact in integers, and cheap on every write
# The run rate of a period's first tenth is noise (one purchase in its first hour would
# forecast a month at 700 times that): the forecast alert waits for the rest.
FORECAST_MIN_ELAPSED = 0.1


def forecast_cents(*, spent: int, start: datetime, end: datetime, now: datetime) -> int | None:
    """The spend at the period's end at the run rate so far (None until it means something)."""
    elapsed, length = (now - start).total_seconds(), (end - start).total_seconds()
    if elapsed < FORECAST_MIN_ELAPSED * length:
        return None
    return round(spent * length / elapsed)


def thresholds_crossed(
    *, budget: BudgetLine | Budget, spent: int, start: datetime, end: datetime, now: datetime
) -> list[tuple[str, int]]:
    amount = cents(budget.amount)
    crossed: list[tuple[str, int]] = []
    part, whole = ACTUAL_WARNING
    if spent * whole >= part * amount:
        crossed.append((Threshold.ACTUAL_80, spent))
    if spent >= amount:
        crossed.append((Threshold.ACTUAL_100, spent))
    forecast = forecast_cents(spent=spent, start=start, end=end, now=now)
    if forecast is not None and forecast > amount:
        crossed.append((Threshold.FORECAST_100, forecast))
    return crossed


def alerts_decide(
    *, budgets: Sequence[BudgetLine | Budget], spent: dict[int, int] | None = None
) -> list[AlertEvent]:
    """Raise the alerts the current spend (cents per budget; read if not given) calls for and
    that were not raised before in this period. Call it in the writing transaction; the
    emails go once it commits."""
    now = timezone.now()
    if spent is None:
        spent = budgets_spent(budgets=cast(Sequence[Scoped], budgets), moment=now)
    raised: list[AlertEvent] = []
    known_now: list[AlertKey] = []
    bounds: dict[str, tuple[datetime, datetime]] = {}
    for budget in budgets:
        if budget.period not in bounds:
            bounds[budget.period] = period_bounds(period=budget.period, moment=now)
        start, end = bounds[budget.period]
        crossed = [
            (threshold, value)
            for threshold, value in thresholds_crossed(
                budget=budget, spent=spent[budget.pk], start=start, end=end, now=now
            )
            if (budget.pk, threshold, start) not in LINES.raised
        ]
        if not crossed:
            continue
        known = set(
            AlertEvent.objects.filter(budget_id=budget.pk, period_start=start).values_list(
                "threshold", flat=True
            )
        )
        known_now += [(budget.pk, threshold, start) for threshold in known]
        for threshold, value in crossed:
            if threshold in known:
                continue
            try:
                with transaction.atomic():  # a savepoint: a lost race undoes only this insert
                    alert = AlertEvent.objects.create(
                        budget_id=budget.pk,
                        threshold=threshold,
                        period_start=start,
                        value=Decimal(value).scaleb(-2),
                        amount=budget.amount,
                        raised=now,
                    )
            except IntegrityError:
                continue  # another transaction raised it first: once is enough
            raised.append(alert)
            known_now.append((budget.pk, threshold, start))
    if known_now:
        # Only once committed: a rolled-back alert is not raised, and may be raised again.
        transaction.on_commit(partial(alerts_known_add, keys=known_now, token=LINES.token))
    if raised:
        ids = [alert.pk for alert in raised]
        transaction.on_commit(lambda: alert_emails_send_soon(alert_ids=ids), robust=True)
    return raised


def alerts_known_add(*, keys: list[AlertKey], token: int | None) -> None:
    if token is not None and token == LINES.token:  # else the lines were read afresh since
        LINES.raised.update(keys)


def spend_changed_receive(
    *, added: Sequence[SpendValues], removed: Sequence[SpendValues], **kwargs: Any
) -> None:
    """feeds.signals.spend_changed: keep the totals and decide alerts, in the write's
    transaction. One statement for both (budgets.totals), writing the records' day cells and
    the cells of the scopes this process's budgets follow; then only the budgets whose spend
    moved are looked at, in memory (budgets.lines). When the statement's token says the
    budgets changed, the scopes they follow now are written too, in a second statement, and
    those none follows any more lose the cells just written (the write holds the change
    sequence's lock, which budget writes take as well: nothing changes between)."""
    followed = LINES.followed
    moved = totals_apply(added=added, removed=removed, followed=followed)
    if moved is None:
        return
    if budget_lines_check(moved.token):
        if missing := LINES.followed - followed:
            more = totals_apply(added=added, removed=removed, followed=missing, base=False)
            if more is not None:
                moved.spent.update(more.spent)
        if dropped := followed - LINES.followed:
            scopes_drop(scopes=dropped)  # written just now: no budget follows them
    budgets = budget_lines_moved(scopes=moved.spent)
    if budgets:
        # No ring here: the records' own broadcast rings for them (dashboard.budget_frames),
        # which spares each write a second group message.
        spent = {
            line.pk: moved.spent[(line.period, line.person, line.pay_type)] for line in budgets
        }
        alerts_decide(budgets=budgets, spent=spent)


def budgets_write_begin() -> set[Scope]:
    """Start a write of budgets (in its transaction): take the change sequence's lock, which
    every write of records takes, so that no write runs between the budgets' cells made here
    and the new token; answer the scopes followed before."""
    sequence_lock()
    return scopes_followed()


def budgets_write_end(*, followed: set[Scope]) -> None:
    scopes_follow(before=followed, after=scopes_followed())
    budgets_version_change()


def budget_create(
    *,
    name: str,
    amount: Decimal,
    period: str,
    person: str = "",
    pay_type: str = "",
    example: bool = False,
) -> Budget:
    budget = Budget(
        name=name,
        amount=amount,
        period=period,
        person=person,
        pay_type=pay_type,
        example=example,
    )
    return budget_update(budget=budget)


def budget_update(*, budget: Budget) -> Budget:
    """Check and store a new or changed budget, with its followed cells and its alerts, in one
    transaction; open dashboards hear of it after commit."""
    with transaction.atomic():
        followed = budgets_write_begin()
        budget.full_clean()
        budget.save()
        budgets_write_end(followed=followed)
        alerts_decide(budgets=[budget])
        transaction.on_commit(budgets_changed_ring, robust=True)
    return budget


def budget_delete(*, budget: Budget) -> None:
    with transaction.atomic():
        followed = budgets_write_begin()
        budget.delete()
        budgets_write_end(followed=followed)
        transaction.on_commit(budgets_changed_ring, robust=True)


def alerts_delete(*, alerts: Sequence[AlertEvent]) -> None:
    """Forget alerts (the admin's history): a crossing may then raise them again, in every
    process (each keeps the alerts it knows were raised until the budgets' token changes)."""
    with transaction.atomic():
        AlertEvent.objects.filter(pk__in=[alert.pk for alert in alerts]).delete()
        budgets_version_change()
        transaction.on_commit(budgets_changed_ring, robust=True)
