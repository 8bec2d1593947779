"""Reads for the dashboard: each budget in its current period, and the latest alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from budgets.models import AlertEvent, Budget
from budgets.periods import period_bounds
from budgets.totals import budgets_spent


@dataclass(frozen=True)
class BudgetState:
    budget: Budget
    start: datetime
    end: datetime
    spent: int  # cents, this period, in the budget's scope


def budget_states(*, moment: datetime | None = None) -> list[BudgetState]:
    moment = moment or timezone.now()
    budgets = list(Budget.objects.all())
    spent = budgets_spent(budgets=budgets, moment=moment)
    states = []
    for budget in budgets:
        start, end = period_bounds(period=budget.period, moment=moment)
        states.append(BudgetState(budget=budget, start=start, end=end, spent=spent[budget.pk]))
    return states


def alerts_recent(*, limit: int = 50) -> list[AlertEvent]:
    return list(AlertEvent.objects.select_related("budget").order_by("-raised", "-id")[:limit])
