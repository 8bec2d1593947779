"""A record from outside (an API batch's row, a CSV line), checked by the model's own field
validators, so that the API, the import and the database hold the same bounds.

Checking a row with the model (an instance, then `clean_fields`) costs about 50 µs, most of an
import's time. So a row is first checked by a few plain comparisons that accept only what the
model accepts, giving the same values (`record_fast`); anything else — every bad row, and
any value the shortcut is not sure of (a non-ASCII name, "1e2", " 12.50") — is checked by
the model as before, so every error and message is the model's own. tests/test_rows.py
holds the two to the same answers.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from feeds.models import EXTERNAL_ID_MAX_LENGTH, YEAR_MAX, YEAR_MIN, PayType, SpendRecord
from feeds.validators import (
    CREATED_MIN,
    QUANTITY_MAX,
    SPENT_MAX,
    TIP_MAX,
    TOTAL_MAX,
    created_latest,
)

FIELDS = ("name", "spent", "year", "pay_type", "quantity", "total", "tip")
REQUIRED = FIELDS  # `created` and `external_id` may be left out
OPTIONAL = ("created", "external_id")
FUTURE_SKEW = timedelta(days=1)  # a sender's clock a little ahead is not an error


@dataclass
class RowError:
    index: int  # the row's place in the batch (the API) or its line number (CSV)
    field: str
    message: str


@dataclass
class Built:
    record: SpendRecord | None
    errors: list[RowError] = field(default_factory=list)


def created_value(value: object) -> datetime | None:
    """An aware datetime, from one or from ISO 8601 text with a UTC offset; None: now."""
    if value is None or value == "":
        return None
    parsed: datetime | None = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = parse_datetime(value.strip())
    if parsed is None:
        raise ValidationError("expected ISO 8601 date and time with a UTC offset")
    if timezone.is_naive(parsed):
        raise ValidationError("needs a UTC offset (e.g. 2026-01-31T12:00:00+00:00 or ...Z)")
    if parsed > timezone.now() + FUTURE_SKEW:
        raise ValidationError("is in the future")
    return parsed


def external_id_value(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) > EXTERNAL_ID_MAX_LENGTH:
        raise ValidationError(f"at most {EXTERNAL_ID_MAX_LENGTH} characters")
    return text


def record_build(*, values: Mapping[str, object], index: int) -> Built:
    """A SpendRecord from raw values (text or typed), or every problem with them."""
    record = record_fast(values)
    if record is not None:
        return Built(record)
    return record_build_by_model(values=values, index=index)


def record_build_by_model(*, values: Mapping[str, object], index: int) -> Built:
    """record_build by the model's own checks (an instance and its clean_fields): the
    reference, and the path of every row the shortcut does not accept."""
    errors = []
    checked: dict[str, object] = {}
    for name, convert in (("created", created_value), ("external_id", external_id_value)):
        try:
            checked[name] = convert(values.get(name))
        except ValidationError as error:
            errors.append(RowError(index, name, " ".join(error.messages)))
    record = SpendRecord(**{name: values.get(name) for name in FIELDS})
    if isinstance(created := checked.get("created"), datetime):
        record.created = created
    record.external_id = checked.get("external_id")  # type: ignore[assignment]
    try:
        # The model's field validators (bounds, choices, lengths, decimal places): clean_fields,
        # not full_clean, whose unique and constraint checks would query once per row.
        # `created` too (a window of valid times), unless it was refused above already.
        exclude = ["seq", "source", "external_id", "updated"]
        if any(error.field == "created" for error in errors):
            exclude.append("created")
        record.clean_fields(exclude=exclude)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.extend(RowError(index, name, message) for message in messages)
    if errors:
        return Built(None, sorted(errors, key=lambda e: FIELDS_ORDER.get(e.field, 99)))
    # clean_fields has set each field to its Python value (Decimal, int).
    return Built(record)


FIELDS_ORDER = {name: place for place, name in enumerate((*OPTIONAL, *FIELDS))}


# The shortcut: text and typed values that the model's checks accept unchanged. Deliberately
# narrow (a plain decimal, ASCII digits, a printable ASCII name): what it does not take, the
# model checks.
MONEY_TEXT = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")
PAY_TYPES = tuple(PayType.values)
NAME_MAX_LENGTH = 64
# SpendRecord's positional arguments are its concrete fields in order: build a record from
# all of them (twice as fast as keywords; with every field given, Model.__init__ also skips
# asking each remaining field for its default, a third of its time). The stored-only fields
# start empty, as their defaults would: feeds.services sets them when it stores the record.
ARGUMENT_ORDER = [f.attname for f in SpendRecord._meta.concrete_fields]
FAST_ARGUMENTS = ("id", *FIELDS, "created", "updated", "seq", "source", "external_id")
assert tuple(ARGUMENT_ORDER) == FAST_ARGUMENTS, ARGUMENT_ORDER
SOURCE_DEFAULT = SpendRecord._meta.get_field("source").get_default()


def name_fast(value: object) -> str | None:
    # Printable ASCII holds no control or text-direction character (name_validate).
    if type(value) is str and 0 < len(value) <= NAME_MAX_LENGTH and value.isascii():
        return value if value.isprintable() else None
    return None


def money_fast(value: object, highest: Decimal) -> Decimal | None:
    if type(value) is str and MONEY_TEXT.fullmatch(value):
        amount = Decimal(value)
    elif type(value) is Decimal and value.is_finite() and not value.is_signed():
        amount = value
        if not isinstance(exponent := value.as_tuple().exponent, int) or exponent < -2:
            return None
    else:
        return None
    return amount if amount <= highest else None


def whole_fast(value: object, lowest: int, highest: int) -> int | None:
    if type(value) is int:
        number = value
    elif type(value) is str and 0 < len(value) <= 6 and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if lowest <= number <= highest else None


def created_fast(value: object) -> datetime | None:
    """The moment given, or now (the model's default) when none is; None: let the model check it."""
    try:
        moment = created_value(value)
    except ValidationError:
        return None
    if moment is None:
        return timezone.now()
    return moment if CREATED_MIN <= moment <= created_latest() else None


def record_fast(values: Mapping[str, object]) -> SpendRecord | None:
    """The record, if every value is one the model surely accepts as it is; None otherwise."""
    pay_type = values.get("pay_type")
    if not (isinstance(pay_type, str) and pay_type in PAY_TYPES):
        return None
    checked = (
        name_fast(values.get("name")),
        money_fast(values.get("spent"), SPENT_MAX),
        whole_fast(values.get("year"), YEAR_MIN, YEAR_MAX),
        pay_type,
        whole_fast(values.get("quantity"), 1, QUANTITY_MAX),
        money_fast(values.get("total"), TOTAL_MAX),
        money_fast(values.get("tip"), TIP_MAX),
        created_fast(values.get("created")),
    )
    if None in checked:
        return None
    try:
        external_id = external_id_value(values.get("external_id"))
    except ValidationError:
        return None
    # Positional, in the field order: updated (auto_now) and seq are set when it is stored.
    return SpendRecord(None, *checked, None, None, SOURCE_DEFAULT, external_id)  # type: ignore[misc]
