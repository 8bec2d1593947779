from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from feeds.models import SpendRecord

VALID = {
    "name": "Ben",
    "spent": Decimal("12.34"),
    "year": 2014,
    "pay_type": "visa",
    "quantity": 2,
    "total": Decimal("100.00"),
    "tip": Decimal("10.00"),
}


@pytest.mark.django_db
def test_a_valid_record_round_trips_money_exactly():
    record = SpendRecord.objects.create(**VALID)
    stored = SpendRecord.objects.get(pk=record.pk)
    assert stored.spent == Decimal("12.34")
    assert stored.created <= stored.updated


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("name", ""),
        ("spent", Decimal("-0.01")),
        ("year", 1999),
        ("year", 2101),
        ("pay_type", "cheque"),
        ("quantity", 0),
        ("total", Decimal("-1")),
        ("tip", Decimal("-1")),
    ],
)
def test_the_database_refuses_what_must_not_hold(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        SpendRecord.objects.create(**{**VALID, field: value})
    assert not SpendRecord.objects.exists()
