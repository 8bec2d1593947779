"""The kept totals write each record's own day cell, and the other cells only of the scopes
budgets follow; a budget's spend stays the database's sum whenever it starts or stops
following a scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from budgets.models import ANY, Budget, Period, PeriodSpend
from budgets.services import budget_create, budget_delete, budget_update
from budgets.totals import budgets_spent, totals_rebuild
from feeds.models import PayType, SpendRecord
from feeds.services import record_update, records_create, records_delete
from tests.test_budgets_services import database_spent, record

pytestmark = pytest.mark.django_db


def cells() -> set[tuple[str, str, str]]:
    return set(PeriodSpend.objects.values_list("period", "name", "pay_type"))


def spend_matches(budgets: list[Budget], moment: datetime) -> None:
    spent = budgets_spent(budgets=budgets, moment=moment)
    assert spent == {b.pk: database_spent(b, moment=moment) for b in budgets}


def test_a_write_keeps_the_records_own_day_cells_and_the_cells_of_budgets_scopes_only():
    budget_create(
        name="Ben's visa",
        amount=Decimal("100.00"),
        period=Period.MONTH,
        person="Ben",
        pay_type=PayType.VISA,
    )
    records_create(records=[record("Ben", "1.00"), record("Aziz", "2.00", pay_type="cash")])
    assert cells() == {("day", "Ben", "visa"), ("day", "Aziz", "cash"), ("month", "Ben", "visa")}


def test_a_write_keeps_the_cells_of_the_wider_scopes_budgets_follow_and_no_others():
    budget_create(name="all", amount=Decimal("100.00"), period=Period.MONTH)
    budget_create(name="cash", amount=Decimal("100.00"), period=Period.WEEK, pay_type="cash")
    records_create(records=[record("Ben", "1.00"), record("Aziz", "2.00", pay_type="cash")])
    assert cells() == {
        ("day", "Ben", "visa"),
        ("day", "Aziz", "cash"),
        ("month", ANY, ANY),
        ("week", ANY, "cash"),
    }


def test_a_budget_that_starts_following_a_scope_gets_its_spend_from_the_stored_records(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    now = timezone.now()
    records_create(
        records=[
            record("Ben", "10.01", created=now - timedelta(days=40)),
            record("Ben", "20.02", pay_type="cash"),
            record("Aziz", "30.03"),
        ]
    )
    # Made after the records (cells summed from theirs), then written to by this process,
    # whose budgets were read before: its next write learns of them from the token.
    budgets = [
        budget_create(name="all", amount=Decimal("100.00"), period=Period.YEAR),
        budget_create(name="Ben", amount=Decimal("100.00"), period=Period.QUARTER, person="Ben"),
        budget_create(name="visa", amount=Decimal("100.00"), period=Period.MONTH, pay_type="visa"),
        budget_create(
            name="Ben's cash",
            amount=Decimal("100.00"),
            period=Period.WEEK,
            person="Ben",
            pay_type="cash",
        ),
    ]
    created = records_create(records=[record("Ben", "1.10"), record("Vijay", "2.20")])
    spend_matches(budgets, now)
    created[0].spent, created[0].pay_type = Decimal("5.55"), "cash"
    record_update(record=created[0])
    records_delete(queryset=SpendRecord.objects.filter(name="Aziz"))
    spend_matches(budgets, now)

    # A scope no budget follows any more, then followed again: made afresh, not left stale.
    budgets[1].person = "Vijay"
    budget_update(budget=budgets[1])
    records_create(records=[record("Ben", "7.77"), record("Vijay", "8.88")])
    budget_delete(budget=budgets[0])
    records_create(records=[record("Ben", "9.99")])
    budgets[0] = budget_create(name="all again", amount=Decimal("100.00"), period=Period.YEAR)
    spend_matches(budgets, now)
    assert {cell for cell in cells() if cell[0] != "day"} == {
        ("year", ANY, ANY),
        ("quarter", "Vijay", ANY),
        ("month", ANY, "visa"),
        ("week", "Ben", "cash"),
    }


def test_the_rebuild_makes_the_cells_of_the_scopes_budgets_follow(settings):
    settings.TIME_ZONE = "America/New_York"
    budgets = [
        budget_create(name="all", amount=Decimal("100.00"), period=Period.DAY),
        budget_create(name="cash", amount=Decimal("100.00"), period=Period.YEAR, pay_type="cash"),
    ]
    april = datetime(2026, 4, 10, tzinfo=UTC)
    records_create(records=[record("Ben", "1.11", created=april), record("Aziz", "2.22")])
    kept = sorted(PeriodSpend.objects.values_list())
    totals_rebuild()
    assert sorted(PeriodSpend.objects.values_list()) == kept
    spend_matches(budgets, april)
    spend_matches(budgets, timezone.now())


def test_a_write_with_the_budgets_known_keeps_the_totals_in_one_statement():
    for number, period in enumerate(Period.values):
        budget_create(name=f"all {number}", amount=Decimal("1000.00"), period=period)
        budget_create(name=f"Ben {number}", amount=Decimal("1000.00"), period=period, person="Ben")
    records_create(records=[record("Ben", "1.00")])  # this process reads the budgets
    with CaptureQueriesContext(connection) as queries:
        records_create(records=[record("Ben", "1.00"), record("Aziz", "1.00", pay_type="cash")])
    budgets_statements = [q["sql"] for q in queries.captured_queries if "budgets_" in q["sql"]]
    assert len(budgets_statements) == 1, budgets_statements
