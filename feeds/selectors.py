"""Reads of spend records, shared by the API (feeds.api) and whatever shows totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from feeds.models import SpendRecord


@dataclass(frozen=True)
class SpendFilter:
    """The dashboard's filters: a created range, a person, a pay type, a year."""

    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    name: str | None = None
    pay_type: str | None = None
    year: int | None = None


def records_filtered(*, spend_filter: SpendFilter) -> QuerySet[SpendRecord]:
    records = SpendRecord.objects.all()
    if spend_filter.created_from is not None:
        records = records.filter(created__gte=spend_filter.created_from)
    if spend_filter.created_to is not None:
        records = records.filter(created__lt=spend_filter.created_to)
    if spend_filter.name is not None:
        records = records.filter(name=spend_filter.name)
    if spend_filter.pay_type is not None:
        records = records.filter(pay_type=spend_filter.pay_type)
    if spend_filter.year is not None:
        records = records.filter(year=spend_filter.year)
    return records


def records_page(*, spend_filter: SpendFilter, after_id: int = 0, limit: int) -> list[SpendRecord]:
    """Up to `limit` records with ids above `after_id`, by id: ids grow in commit order
    (writers take turns, feeds.services), so a page never skips a record written meanwhile."""
    records = records_filtered(spend_filter=spend_filter).filter(id__gt=after_id)
    return list(records.order_by("id")[:limit])


@dataclass
class SpendTotals:
    """Spend in cents, in all and by year, person and pay type: what the dashboard totals."""

    count: int = 0
    spent: int = 0
    by_year: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, int] = field(default_factory=dict)
    by_pay_type: dict[str, int] = field(default_factory=dict)


def cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


def spend_totals(*, spend_filter: SpendFilter | None = None) -> SpendTotals:
    records = records_filtered(spend_filter=spend_filter or SpendFilter())
    overall = records.aggregate(count=Count("id"), spent=Sum("spent"))
    totals = SpendTotals(count=overall["count"], spent=cents(overall["spent"]))
    for column, into in (
        ("year", totals.by_year),
        ("name", totals.by_name),
        ("pay_type", totals.by_pay_type),
    ):
        rows = records.values_list(column).annotate(spend=Sum("spent")).order_by(column)
        # The page's groups hide empty bins: a group of $0.00 is not shown.
        into.update({str(key): cents(spend) for key, spend in rows if spend})
    return totals
