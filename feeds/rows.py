"""A record from outside (an API batch's row, a CSV line), checked by the model's own field
validators, so that the API, the import and the database hold the same bounds."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from feeds.models import EXTERNAL_ID_MAX_LENGTH, SpendRecord

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
