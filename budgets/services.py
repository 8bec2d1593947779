"""Every write to budgets, and the alerts decided with each write of spend records.

Alerts are decided in the writing transaction (the one that moved the spend or the amount),
and made exactly-once by AlertEvent's unique constraint on (budget, threshold, period start):
the decision sees exactly what that write commits and rolls back with it, and the database,
not a process's memory, says whether an alert was raised before — so it holds across any
number of server processes, generator restarts, replays, and edits that cross the line back
and forth.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets.doorbell import budgets_changed_ring
from budgets.emails import alert_emails_send_soon
from budgets.models import AlertEvent, Budget, Period, Threshold
from budgets.periods import period_bounds
from budgets.totals import Scoped, budgets_spent, budgets_spent_rows, totals_apply
from feeds.signals import SpendValues

ACTUAL_WARNING = Decimal("0.8")
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
    amount = int(budget.amount.scaleb(2))
    crossed: list[tuple[str, int]] = []
    if spent >= ACTUAL_WARNING * amount:
        crossed.append((Threshold.ACTUAL_80, spent))
    if spent >= amount:
        crossed.append((Threshold.ACTUAL_100, spent))
    forecast = forecast_cents(spent=spent, start=start, end=end, now=now)
    if forecast is not None and forecast > amount:
        crossed.append((Threshold.FORECAST_100, forecast))
    return crossed


class BudgetLine(NamedTuple):
    """A budget's values, for deciding its alerts (cheaper to read than a Budget)."""

    pk: int
    period: str
    person: str
    pay_type: str
    amount: Decimal


def alerts_decide(
    *, budgets: Sequence[BudgetLine | Budget], spent: dict[int, int] | None = None
) -> list[AlertEvent]:
    """Raise the alerts the current spend (cents per budget; read if not given) calls for and
    that were not raised before in this period. Call it in the writing transaction; the
    emails go once it commits."""
    now = timezone.now()
    if spent is None:
        spent = budgets_spent(budgets=cast(Sequence[Scoped], budgets), moment=now)
    raised = []
    bounds = {period: period_bounds(period=period, moment=now) for period in Period.values}
    for budget in budgets:
        start, end = bounds[budget.period]
        crossed = thresholds_crossed(
            budget=budget, spent=spent[budget.pk], start=start, end=end, now=now
        )
        if not crossed:
            continue
        known = set(
            AlertEvent.objects.filter(budget_id=budget.pk, period_start=start).values_list(
                "threshold", flat=True
            )
        )
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
    if raised:
        ids = [alert.pk for alert in raised]
        transaction.on_commit(lambda: alert_emails_send_soon(alert_ids=ids), robust=True)
    return raised


def spend_changed_receive(
    *, added: Sequence[SpendValues], removed: Sequence[SpendValues], **kwargs: Any
) -> None:
    """feeds.signals.spend_changed: keep the totals and decide alerts, in the write's
    transaction."""
    totals_apply(added=added, removed=removed)
    rows = budgets_spent_rows(moment=timezone.now())
    if rows:
        # No ring here: the records' own broadcast rings for them (dashboard.budget_frames),
        # which spares each write a second group message.
        budgets = [
            BudgetLine(pk, period, person, pay_type, Decimal(amount).scaleb(-2))
            for pk, period, person, pay_type, amount, _ in rows
        ]
        alerts_decide(budgets=budgets, spent={row[0]: row[5] for row in rows})


def budget_create(
    *,
    name: str,
    amount: Decimal,
    period: str,
    person: str = "",
    pay_type: str = "",
    example: bool = False,
) -> Budget:
    with transaction.atomic():
        budget = Budget(
            name=name,
            amount=amount,
            period=period,
            person=person,
            pay_type=pay_type,
            example=example,
        )
        budget.full_clean()
        budget.save()
        alerts_decide(budgets=[budget])
        transaction.on_commit(budgets_changed_ring, robust=True)
    return budget


def budget_update(*, budget: Budget) -> Budget:
    with transaction.atomic():
        budget.full_clean()
        budget.save()
        alerts_decide(budgets=[budget])
        transaction.on_commit(budgets_changed_ring, robust=True)
    return budget


def budget_delete(*, budget: Budget) -> None:
    with transaction.atomic():
        budget.delete()
        transaction.on_commit(budgets_changed_ring, robust=True)
