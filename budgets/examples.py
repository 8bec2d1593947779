"""The demo's example budgets: made afresh at each `make demo`, so that one of them raises an
alert within a minute of the start, whatever the database already holds."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from budgets.models import Budget, Period
from budgets.services import budget_create, budget_delete
from budgets.totals import budgets_spent

# name, period, person, pay type, the amount above the spend already in it, in dollars. The
# names do not say "example": the panel marks example budgets itself. At
# the demo's one record a second (about $75 each, a quarter of them Ben's), Ben's $400
# reaches 80 % within half a minute; the month's stays on track.
EXAMPLES = (
    ("Ben this week", Period.WEEK, "Ben", "", 400),
    ("Visa this quarter", Period.QUARTER, "", "visa", 3000),
    ("The team this month", Period.MONTH, "", "", 100_000),
)


def budget_examples_create() -> list[Budget]:
    """Replace the example budgets (and their alerts) with new ones, sized to what is spent."""
    with transaction.atomic():
        for old in Budget.objects.filter(example=True):
            budget_delete(budget=old)
        made = []
        for name, period, person, pay_type, headroom in EXAMPLES:
            probe = Budget(period=period, person=person, pay_type=pay_type)
            probe.pk = 0
            spent = budgets_spent(budgets=[probe], moment=timezone.now())[0]
            made.append(
                budget_create(
                    name=name,
                    amount=Decimal(spent).scaleb(-2) + headroom,
                    period=period,
                    person=person,
                    pay_type=pay_type,
                    example=True,
                )
            )
    return made
