"""Period boundaries: midnights in the team's time zone (settings.TIME_ZONE), so a month
that holds a daylight-saving change is 743 or 745 hours long, and such a day 23 or 25, as the
team lives it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from django.utils import timezone

from budgets.models import Period

MONTHS_IN = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}


def first_day(period: str, day: date) -> date:
    if period == Period.DAY:
        return day
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    months = MONTHS_IN[Period(period)]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def next_first_day(period: str, first: date) -> date:
    if period == Period.DAY:
        return first + timedelta(days=1)
    if period == Period.WEEK:
        return first + timedelta(days=7)
    month = first.month - 1 + MONTHS_IN[Period(period)]
    return date(first.year + month // 12, month % 12 + 1, 1)


def midnight(day: date, zone: tzinfo) -> datetime:
    # In UTC: Python subtracts two times of the same zone by their wall clocks, which would
    # make a day with a daylight-saving change 24 hours long.
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@lru_cache(maxsize=1024)
def day_bounds(period: str, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The period holding the local `day` (every write asks about the same few days)."""
    first = first_day(period, day)
    return midnight(first, zone), midnight(next_first_day(period, first), zone)


def period_bounds(
    *, period: str, moment: datetime, zone: tzinfo | None = None
) -> tuple[datetime, datetime]:
    """The period holding `moment`: its first instant and the next period's first instant."""
    zone = zone or timezone.get_default_timezone()
    return day_bounds(period, moment.astimezone(zone).date(), zone)


def period_start(*, period: str, moment: datetime, zone: tzinfo | None = None) -> datetime:
    return period_bounds(period=period, moment=moment, zone=zone)[0]
