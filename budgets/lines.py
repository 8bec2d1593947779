"""The budgets a process decides alerts for on each write, kept in memory between writes.

Each write's statement of the kept totals answers the budgets' token as well (budgets.totals):
the lines here are read again only when it is not the one they were read with, so a budget
changed by any process is seen by the next write of every other (budgets.models
BudgetsVersion). The alerts known to be raised are kept with them: a budget over a line
would otherwise ask the database about its alerts on every write.

A module global on purpose: the cache is the process's, shared by every write it makes, as
feeds.broadcast's stats are; it holds nothing that the token does not make exact.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from budgets.models import Budget, BudgetsVersion
from budgets.totals import Scope, scope_is_base


class BudgetLine(NamedTuple):
    """A budget's values, for deciding its alerts (cheaper to read than a Budget)."""

    pk: int
    period: str
    person: str
    pay_type: str
    amount: Decimal


AlertKey = tuple[int, str, datetime]  # budget, threshold, period start


@dataclass
class BudgetLines:
    token: int | None = None
    by_scope: dict[Scope, list[BudgetLine]] = field(default_factory=dict)
    # The scopes of these budgets whose cells a write keeps (budgets.totals).
    followed: frozenset[Scope] = frozenset()
    # Alerts committed (they are added on commit): never raised again in this process.
    raised: set[AlertKey] = field(default_factory=set)

    def read(self, token: int | None) -> None:
        by_scope: dict[Scope, list[BudgetLine]] = defaultdict(list)
        values = Budget.objects.order_by().values_list(
            "pk", "period", "person", "pay_type", "amount"
        )
        for line in (BudgetLine(*row) for row in values):
            by_scope[(line.period, line.person, line.pay_type)].append(line)
        # No token (its row flushed away, as tests do): read again at each write.
        self.token, self.by_scope, self.raised = token, dict(by_scope), set()
        self.followed = frozenset(scope for scope in by_scope if not scope_is_base(scope))


LINES = BudgetLines()


def budget_lines_check(token: int | None) -> bool:
    """Read the lines again unless `token` (a write's) is theirs; True when they were read."""
    if token is None or token != LINES.token:
        LINES.read(token)
        return True
    return False


def budget_lines_moved(*, scopes: dict[Scope, int]) -> list[BudgetLine]:
    """The budgets whose scope is one of `scopes` (the spend a write moved)."""
    return [line for scope in scopes for line in LINES.by_scope.get(scope, ())]


def budgets_version_change() -> None:
    """Call it in the transaction of every write of budgets (budgets.services)."""
    BudgetsVersion.objects.update_or_create(pk=1, defaults={"token": secrets.randbits(62)})
