"""Budgets' kept totals equal the database's sums; alerts are raised exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from budgets.models import AlertEvent, Budget, Period, PeriodSpend, Threshold
from budgets.periods import period_bounds
from budgets.services import budget_create, budget_delete, budget_update
from budgets.totals import budgets_spent, totals_rebuild
from feeds.models import PayType, SpendRecord
from feeds.services import record_update, records_create, records_delete
from tests.conftest import cents_sum

pytestmark = pytest.mark.django_db


def record(name: str, spent: str, *, created: datetime | None = None, pay_type: str = "visa"):
    return SpendRecord(
        name=name,
        spent=Decimal(spent),
        year=2014,
        pay_type=pay_type,
        quantity=1,
        total=Decimal("1.00"),
        tip=Decimal("0.00"),
        created=created or timezone.now(),
    )


def database_spent(budget: Budget, *, moment: datetime) -> int:
    """SUM(spent) over the budget's scope and period, straight from the records (cents)."""
    start, end = period_bounds(period=budget.period, moment=moment)
    records = SpendRecord.objects.filter(created__gte=start, created__lt=end)
    if budget.person:
        records = records.filter(name=budget.person)
    if budget.pay_type:
        records = records.filter(pay_type=budget.pay_type)
    return records.aggregate(total=cents_sum())["total"] or 0


def budget_make(**fields) -> Budget:
    defaults = {"name": "Team", "amount": Decimal("1000.00"), "period": Period.MONTH}
    return budget_create(**{**defaults, **fields})


def test_spend_equals_the_database_sum_after_creates_updates_and_deletes(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    april = datetime(2026, 4, 10, tzinfo=UTC)
    budgets = [
        budget_make(name="all"),
        budget_make(name="Ben", person="Ben"),
        budget_make(name="Ben's visa", person="Ben", pay_type=PayType.VISA),
        budget_make(name="cash weekly", pay_type=PayType.CASH, period=Period.WEEK),
        budget_make(name="yearly", period=Period.YEAR),
    ]
    # Around the local month's first midnight (22:00 UTC, summer time) and a week's.
    edge = datetime(2026, 3, 31, 22, tzinfo=UTC)
    created = records_create(
        records=[
            record("Ben", "10.01", created=edge - timedelta(microseconds=1)),
            record("Ben", "20.02", created=edge),
            record("Ben", "30.03", created=edge + timedelta(hours=1), pay_type="cash"),
            record("Aziz", "40.04", created=april),
            record("Aziz", "50.05", created=datetime(2026, 4, 5, 21, 59, tzinfo=UTC)),
            record("Aziz", "60.06", created=datetime(2026, 4, 5, 22, tzinfo=UTC), pay_type="cash"),
        ]
    )
    first = created[0]
    first.created, first.spent = april, Decimal("99.99")  # into April, and dearer
    record_update(record=first)
    moved = created[3]
    moved.name, moved.pay_type = "Ben", "visa"
    record_update(record=moved)
    records_delete(queryset=SpendRecord.objects.filter(pk=created[4].pk))

    for moment in (edge - timedelta(seconds=1), edge, april, datetime(2026, 4, 6, tzinfo=UTC)):
        spent = budgets_spent(budgets=budgets, moment=moment)
        assert spent == {b.pk: database_spent(b, moment=moment) for b in budgets}
    assert (
        budgets_spent(budgets=budgets[:1], moment=april)[budgets[0].pk]
        == 9999 + 2002 + 3003 + 4004 + 6006
    )


def test_the_rebuilt_totals_equal_the_kept_ones(settings):
    settings.TIME_ZONE = "America/New_York"
    records_create(records=[record("Ben", "1.11"), record("Aziz", "2.22", pay_type="cash")])
    record_update(record=SpendRecord.objects.filter(name="Ben").get())
    # Over two thousand days: more cells than one statement of the rebuild may hold.
    now = timezone.now()
    records_create(
        records=[
            record(
                f"P{d % 7}", "3.33", created=now - timedelta(days=d), pay_type=PayType.values[d % 5]
            )
            for d in range(2000)
        ]
    )
    kept = sorted(PeriodSpend.objects.filter(records__gt=0).values_list())
    assert totals_rebuild(chunk_size=1500) == 2002
    assert sorted(PeriodSpend.objects.values_list()) == kept


def alerts(budget: Budget) -> list[str]:
    return sorted(AlertEvent.objects.filter(budget=budget).values_list("threshold", flat=True))


def test_crossing_80_percent_raises_one_alert_with_the_value():
    budget = budget_make(amount=Decimal("100.00"), period=Period.YEAR, person="Ben")
    records_create(records=[record("Ben", "79.99"), record("Aziz", "50.00")])
    assert alerts(budget) == []
    records_create(records=[record("Ben", "0.01")])
    alert = AlertEvent.objects.get(budget=budget, threshold=Threshold.ACTUAL_80)
    assert alert.value == Decimal("80.00")
    assert alert.amount == Decimal("100.00")
    assert alert.period_start == period_bounds(period=Period.YEAR, moment=timezone.now())[0]


def test_crossing_back_and_forth_raises_each_alert_once_a_period():
    budget = budget_make(amount=Decimal("100.00"), period=Period.YEAR)
    for _ in range(3):
        created = records_create(records=[record("Ben", "60.00"), record("Ben", "45.00")])
        assert alerts(budget).count(Threshold.ACTUAL_100) == 1
        records_delete(queryset=SpendRecord.objects.filter(pk__in=[r.pk for r in created]))
        budget.amount = Decimal("90.00")  # an edit that crosses the line by itself
        budget_update(budget=budget)
        budget.amount = Decimal("100.00")
        budget_update(budget=budget)
    counted = AlertEvent.objects.filter(budget=budget).values_list("threshold", flat=True)
    assert sorted(set(counted)) == sorted(counted)  # none twice


def test_lowering_the_amount_raises_the_alert_the_spend_now_calls_for():
    budget = budget_make(amount=Decimal("1000.00"), period=Period.YEAR)
    records_create(records=[record("Ben", "100.00")])
    assert alerts(budget) == []
    budget.amount = Decimal("100.00")
    budget_update(budget=budget)
    assert {Threshold.ACTUAL_80, Threshold.ACTUAL_100} <= set(alerts(budget))


def test_the_forecast_alert_uses_the_run_rate_so_far():
    now = timezone.now()
    start, end = period_bounds(period=Period.YEAR, moment=now)
    elapsed = (now - start) / (end - start)
    if elapsed < 0.15:
        pytest.skip("too early in the year for a forecast")
    # Spent: half-way between the elapsed share and all of the amount, so the run rate
    # forecasts more than the amount while the spend itself stays under it.
    share = Decimal((1 + elapsed) / 2).quantize(Decimal("0.0001"))
    budget = budget_make(
        amount=(Decimal("100.00") / share).quantize(Decimal("0.01")), period=Period.YEAR
    )
    records_create(records=[record("Ben", "100.00")])
    assert Threshold.FORECAST_100 in alerts(budget)
    assert Threshold.ACTUAL_100 not in alerts(budget)
    forecast = AlertEvent.objects.get(budget=budget, threshold=Threshold.FORECAST_100)
    assert forecast.value > budget.amount


def test_the_database_refuses_a_second_alert_for_the_same_budget_threshold_and_period():
    budget = budget_make(amount=Decimal("10.00"))
    records_create(records=[record("Ben", "20.00")])
    alert = AlertEvent.objects.get(budget=budget, threshold=Threshold.ACTUAL_100)
    with pytest.raises(IntegrityError), transaction.atomic():
        AlertEvent.objects.create(
            budget=budget,
            threshold=alert.threshold,
            period_start=alert.period_start,
            value=alert.value,
            amount=alert.amount,
        )


def test_a_deleted_budget_takes_its_alerts_with_it():
    budget = budget_make(amount=Decimal("10.00"))
    records_create(records=[record("Ben", "20.00")])
    budget_delete(budget=budget)
    assert not AlertEvent.objects.filter(budget__example=True).exists()


def test_a_budget_without_an_amount_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        budget_make(amount=Decimal("0.00"))


def test_the_demos_examples_replace_the_old_ones_and_one_alerts_within_a_minute_of_records():
    from budgets.examples import budget_examples_create
    from feeds.generator import spend_records_generate

    records_create(records=[record("Ben", "5000.00")])
    first = budget_examples_create()
    mine = budget_make(name="not an example")
    records_create(records=[record("Ben", "400.00")])  # Ben's week: over the headroom
    assert AlertEvent.objects.filter(budget__example=True).exists()
    again = budget_examples_create()
    assert {b.pk for b in first}.isdisjoint(b.pk for b in again)
    assert not AlertEvent.objects.filter(budget__in=[b.pk for b in first]).exists()
    assert Budget.objects.filter(pk=mine.pk).exists()
    # On an empty database, a minute of the demo's generator (a record a second) alerts.
    SpendRecord.objects.all().delete()  # around feeds.services, so the totals are made afresh
    totals_rebuild()
    budget_examples_create()
    assert not AlertEvent.objects.filter(budget__example=True).exists()
    import random

    records_create(records=spend_records_generate(rng=random.Random(3), count=60))
    assert AlertEvent.objects.filter(budget__example=True).exists()


def test_the_demos_examples_are_named_without_saying_example_the_panel_marks_them():
    """The panel adds "(example)" to an example budget's name (static/dashboard/js/budgets.js):
    a name that says it too reads "Example: … (example)"."""
    from budgets.examples import budget_examples_create

    for budget in budget_examples_create():
        assert budget.example
        assert "example" not in budget.name.lower(), budget.name
