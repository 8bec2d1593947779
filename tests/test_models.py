from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from feeds.models import SpendRecord
from tests.conftest import records_make

VALID = {
    "name": "Ben",
    "spent": Decimal("12.34"),
    "year": 2014,
    "pay_type": "visa",
    "quantity": 2,
    "total": Decimal("100.00"),
    "tip": Decimal("10.00"),
    "seq": 1,
}

# One value that each constraint refuses.
MUST_NOT_HOLD = [
    ("name", ""),
    ("spent", Decimal("-0.01")),
    ("year", 1999),
    ("year", 2101),
    ("pay_type", "cheque"),
    ("quantity", 0),
    ("total", Decimal("-1")),
    ("tip", Decimal("-1")),
]


@pytest.mark.django_db
def test_a_valid_record_round_trips_money_exactly():
    record = SpendRecord.objects.create(**VALID)
    stored = SpendRecord.objects.get(pk=record.pk)
    assert stored.spent == Decimal("12.34")
    assert stored.created <= stored.updated


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", MUST_NOT_HOLD)
def test_the_database_refuses_what_must_not_hold(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        SpendRecord.objects.create(**{**VALID, field: value})
    assert not SpendRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", MUST_NOT_HOLD)
def test_the_database_refuses_an_update_past_the_forms(field, value):
    (record,) = records_make(1)
    before = SpendRecord.objects.values().get(pk=record.pk)

    # A queryset update runs no validator: only the constraints stand in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        SpendRecord.objects.filter(pk=record.pk).update(**{field: value})
    assert SpendRecord.objects.values().get(pk=record.pk) == before


@pytest.mark.django_db
def test_the_database_refuses_a_raw_sql_update_past_the_forms():
    (record,) = records_make(1)
    assert SpendRecord._meta.db_table == "feeds_spendrecord"

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE feeds_spendrecord SET spent = %s WHERE id = %s", ["-5.00", record.pk]
        )
    assert SpendRecord.objects.get(pk=record.pk).spent == record.spent


@pytest.mark.django_db
def test_a_record_written_around_the_services_fails_loudly():
    # No position in the change sequence: it would never reach the dashboards.
    values = {field: value for field, value in VALID.items() if field != "seq"}

    with pytest.raises(IntegrityError), transaction.atomic():
        SpendRecord.objects.create(**values)
