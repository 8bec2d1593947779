from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone

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
    # Past the bounds an admin could type (issue 12): each reached the page rounded or huge.
    ("quantity", 1001),
    ("quantity", 40000),
    ("spent", Decimal("10000.01")),
    ("spent", Decimal("1e5")),
    ("total", Decimal("10000.01")),
    ("tip", Decimal("1000.01")),
    # The date window's fixed ends.
    ("created", datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    ("created", datetime(1969, 12, 31, tzinfo=UTC)),
    ("created", datetime(2100, 1, 1, tzinfo=UTC)),
    ("created", datetime(9999, 1, 1, tzinfo=UTC)),
]
# The edges that must hold.
MAY_HOLD = [
    ("quantity", 1000),
    ("spent", Decimal("10000.00")),
    ("total", Decimal("10000.00")),
    ("tip", Decimal("1000.00")),
    ("created", datetime(2000, 1, 1, tzinfo=UTC)),
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
    # PostgreSQL's smallint refuses a quantity of 40000 before the CHECK does: DataError.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        SpendRecord.objects.create(**{**VALID, field: value})
    assert not SpendRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", MAY_HOLD)
def test_the_database_and_the_validators_accept_the_edges(field, value):
    record = SpendRecord.objects.create(**{**VALID, field: value})

    record.full_clean()
    assert getattr(SpendRecord.objects.get(pk=record.pk), field) == value


@pytest.mark.django_db  # full_clean checks the constraints with a query
@pytest.mark.parametrize("field, value", MUST_NOT_HOLD)
def test_the_validators_refuse_what_must_not_hold(field, value):
    with pytest.raises(ValidationError) as refused:
        SpendRecord(**{**VALID, field: value}).full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db  # full_clean checks the constraints with a query
@pytest.mark.parametrize(
    "ahead, valid", [(timedelta(hours=23), True), (timedelta(days=1, minutes=1), False)]
)
def test_the_validators_allow_a_day_ahead_of_now(ahead, valid):
    record = SpendRecord(**{**VALID, "created": timezone.now() + ahead})

    if valid:
        record.full_clean()
    else:
        with pytest.raises(ValidationError, match="at most a day ahead"):
            record.full_clean()


@pytest.mark.django_db  # full_clean checks the constraints with a query
@pytest.mark.parametrize(
    "name",
    [
        "Ann\u202egnp.exe",  # RIGHT-TO-LEFT OVERRIDE: renders as "Annexe.png"
        "Ann\u2066x\u2069",  # an isolate
        "Ann\u200fB",  # RIGHT-TO-LEFT MARK
        "Ann\x00",
        "Ann\nBo",
        "Ann\u2028",
    ],
)
def test_names_with_control_or_bidi_characters_are_refused(name):
    with pytest.raises(ValidationError) as refused:
        SpendRecord(**{**VALID, "name": name}).full_clean()
    assert "control" in refused.value.message_dict["name"][0]


@pytest.mark.django_db  # full_clean checks the constraints with a query
@pytest.mark.parametrize("name", ["Zoë", "عزيز", "Mi\u200cnoo", "O'Brien-Smith"])
def test_names_in_any_script_are_accepted(name):
    SpendRecord(**{**VALID, "name": name}).full_clean()


@pytest.mark.django_db
@pytest.mark.parametrize("field, value", MUST_NOT_HOLD)
def test_the_database_refuses_an_update_past_the_forms(field, value):
    (record,) = records_make(1)
    before = SpendRecord.objects.values().get(pk=record.pk)

    # A queryset update runs no validator: only the constraints stand in the way.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
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
