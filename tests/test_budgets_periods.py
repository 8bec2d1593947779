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
