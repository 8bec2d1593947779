"""Budgets, the spend kept per period for them, and the alerts they raise."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from feeds.models import MONEY, PayType
from feeds.validators import name_validate


class Period(models.TextChoices):
    """A budget's period; its boundaries are midnights in settings.TIME_ZONE (budgets.periods)."""

    DAY = "day"  # midnight to midnight: 23 or 25 hours on a daylight-saving change
    WEEK = "week"  # Monday to Monday
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Threshold(models.TextChoices):
    ACTUAL_80 = "actual_80", "80 % spent"
    ACTUAL_100 = "actual_100", "100 % spent"
    FORECAST_100 = "forecast_100", "forecast over 100 %"


class Budget(models.Model):
    """What a team plans to spend in each period, on everything or on one person and/or pay type."""

    # The record names' check (no controls, no direction overrides): the name goes into the
    # alert emails' subject line and the panel; the person must be a name records can have.
    name = models.CharField(max_length=80, validators=[name_validate])
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.MONTH)
    person = models.CharField(
        max_length=64,
        blank=True,
        validators=[name_validate],
        help_text="Only this person's spend (empty: everyone's).",
    )
    pay_type = models.CharField(
        max_length=16,
        choices=PayType.choices,
        blank=True,
        help_text="Only spend of this pay type (empty: every pay type).",
    )
    example = models.BooleanField(default=False, help_text="Made by `make demo`, as an example.")
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="budget_name_not_empty"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
            models.CheckConstraint(
                condition=Q(period__in=Period.values), name="budget_period_valid"
            ),
            models.CheckConstraint(
                condition=Q(pay_type="") | Q(pay_type__in=PayType.values),
                name="budget_pay_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.amount} a {self.period})"


# A PeriodSpend's name or pay type: this one holds the sum over every name (or pay type).
ANY = ""


class PeriodSpend(models.Model):
    """Spend summed per period, period start, person and pay type: the kept totals a budget's
    spend is read from (one row, never the records). Kept in step with the records by every
    write's transaction (budgets.totals, through feeds.signals). Each record is counted in its
    own day row, and in the row of each scope some budget follows (name and/or pay type ANY:
    every one), so that every budget's scope has its own row and a write's one statement
    answers with the new spend of every budget it moved; the rows of scopes no budget follows
    are not kept."""

    pk = models.CompositePrimaryKey("period", "start", "name", "pay_type")
    period = models.CharField(max_length=8, choices=Period.choices)
    start = models.DateTimeField()  # the period's first instant (midnight in TIME_ZONE)
    name = models.CharField(max_length=64)
    pay_type = models.CharField(max_length=16)
    spent = models.BigIntegerField()  # cents
    records = models.BigIntegerField()

    def __str__(self) -> str:
        return (
            f"{self.name}/{self.pay_type}: {self.spent} cents in the {self.period} of {self.start}"
        )


class BudgetsVersion(models.Model):
    """One row whose token every write of budgets changes (budgets.services), in the same
    transaction: a process keeps the budgets it decides alerts for and reads them again only
    when the token it reads with each write's spend is not theirs (budgets.lines). A random
    token, not a counter: a rolled-back write's number would be used again."""

    token = models.BigIntegerField()

    def __str__(self) -> str:
        return f"budgets version {self.token}"


class AlertEvent(models.Model):
    """A budget crossing a threshold in one period: raised once (the unique constraint), then
    emailed to the team (budgets.emails), retried until it is sent."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.CharField(max_length=16, choices=Threshold.choices)
    period_start = models.DateTimeField()
    value = models.DecimalField(**MONEY)  # the spend (or forecast) that crossed the line
    amount = models.DecimalField(**MONEY)  # the budget's amount at the time
    raised = models.DateTimeField(default=timezone.now)
    emailed = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    # A sender owns the email until then, so two processes never send it twice.
    email_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "threshold", "period_start"], name="alert_once_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget.name}: {self.get_threshold_display()} ({self.value})"
