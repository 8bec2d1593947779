"""Period boundaries are midnights in TIME_ZONE, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from budgets.models import Period
from budgets.periods import period_bounds


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_month_with_the_spring_change_is_743_hours_from_midnight_to_midnight():
    start, end = period_bounds(period=Period.MONTH, moment=utc(2026, 3, 15, 12))
    assert start == utc(2026, 2, 28, 23)  # midnight CET
    assert end == utc(2026, 3, 31, 22)  # midnight CEST
    assert end - start == timedelta(hours=743)


def test_a_month_with_the_autumn_change_is_745_hours():
    start, end = period_bounds(period=Period.MONTH, moment=utc(2026, 10, 25, 1, 30))
    assert (start, end) == (utc(2026, 9, 30, 22), utc(2026, 10, 31, 23))
    assert end - start == timedelta(hours=745)


def test_a_week_with_the_change_starts_on_monday_and_is_167_hours():
    start, end = period_bounds(period=Period.WEEK, moment=utc(2026, 3, 29, 1, 59))
    assert (start, end) == (utc(2026, 3, 22, 23), utc(2026, 3, 29, 22))
    assert end - start == timedelta(hours=167)


def test_the_first_hours_of_a_local_month_belong_to_it_not_to_the_utc_month():
    # 00:30 on 1 April in Berlin is still 31 March in UTC.
    start, _ = period_bounds(period=Period.MONTH, moment=utc(2026, 3, 31, 22, 30))
    assert start == utc(2026, 3, 31, 22)


@pytest.mark.parametrize(
    ("period", "moment", "bounds"),
    [
        (Period.QUARTER, utc(2026, 5, 5), (utc(2026, 3, 31, 22), utc(2026, 6, 30, 22))),
        (Period.YEAR, utc(2026, 12, 31, 23, 30), (utc(2026, 12, 31, 23), utc(2027, 12, 31, 23))),
        (Period.QUARTER, utc(2026, 12, 1), (utc(2026, 9, 30, 22), utc(2026, 12, 31, 23))),
    ],
)
def test_quarters_and_years(period, moment, bounds):
    assert period_bounds(period=period, moment=moment) == bounds


def test_a_day_with_the_spring_change_is_23_hours_from_local_midnight_to_local_midnight():
    start, end = period_bounds(period=Period.DAY, moment=utc(2026, 3, 29, 12))
    assert (start, end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))  # CET, then CEST
    assert end - start == timedelta(hours=23)


def test_a_day_with_the_autumn_change_is_25_hours():
    # 02:30 local happens twice on 25 October; both belong to the same day.
    for moment in (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)):
        start, end = period_bounds(period=Period.DAY, moment=moment)
        assert (start, end) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23))
        assert end - start == timedelta(hours=25)


def test_the_first_instant_after_local_midnight_belongs_to_the_new_day():
    midnight = utc(2026, 3, 29, 22)  # 30 March 00:00 CEST, the day after the change
    just_before = midnight - timedelta(microseconds=1)
    assert period_bounds(period=Period.DAY, moment=midnight) == (midnight, utc(2026, 3, 30, 22))
    assert period_bounds(period=Period.DAY, moment=just_before)[1] == midnight
    # The day after the autumn change: 24 hours again, from the CET midnight.
    start, end = period_bounds(period=Period.DAY, moment=utc(2026, 10, 25, 23))
    assert (start, end) == (utc(2026, 10, 25, 23), utc(2026, 10, 26, 23))


@pytest.mark.django_db
def test_a_day_budgets_spend_starts_at_local_midnight_across_the_change():
    from decimal import Decimal

    from budgets.services import budget_create
    from budgets.totals import budgets_spent
    from feeds.services import records_create
    from tests.test_budgets_services import record

    budget = budget_create(name="daily", amount=Decimal("100.00"), period=Period.DAY)
    change_day = utc(2026, 3, 28, 23)  # 29 March 00:00 CET: the day of the spring change
    next_day = utc(2026, 3, 29, 22)  # 30 March 00:00 CEST
    records_create(
        records=[
            record("Ben", "1.00", created=change_day - timedelta(microseconds=1)),
            record("Ben", "2.00", created=change_day),
            record("Ben", "4.00", created=next_day - timedelta(microseconds=1)),
            record("Ben", "8.00", created=next_day),
        ]
    )
    assert budgets_spent(budgets=[budget], moment=utc(2026, 3, 29, 12)) == {budget.pk: 600}
    assert budgets_spent(budgets=[budget], moment=next_day) == {budget.pk: 800}
    assert budgets_spent(budgets=[budget], moment=change_day) == {budget.pk: 600}
