"""A batch's rows checked: by RecordIn (pydantic) for their types, then by the model's own
checks (feeds.rows) — or, for a batch of plain rows, by the model's checks alone.

Pydantic's check of a 1,000-row batch (its decimals' digits and places above all) cost about
half of what the model's checks cost. A plain row — no unknown field, its amounts JSON text,
its whole numbers integers or digits, an external id that is text, a `created` absent or in
ISO 8601's usual form — is one RecordIn takes, with the values feeds.rows.record_fast reads
from it as they are. So a batch whose rows are all plain and all taken by record_fast skips
pydantic; any other batch goes through RecordIn first, as before, so that every error is
pydantic's or the model's own. tests/test_api_batch.py holds the two ways to the same answers.
"""

from __future__ import annotations

import re
from typing import Any

from ninja.errors import ValidationError
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError

from feeds.api.schemas import RecordIn
from feeds.rows import Built, record_build, record_fast

ROW_FIELDS = frozenset(RecordIn.model_fields)
MONEY_FIELDS = ("spent", "total", "tip")
WHOLE_FIELDS = ("year", "quantity")
# Date, T, time, at most microseconds, Z or an offset under a day: what both pydantic and
# Django's parse_datetime read, as the same moment.
CREATED_PLAIN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
RECORDS = TypeAdapter(list[RecordIn])


def row_plain(row: object) -> bool:
    """Is it a row of JSON's own plain values that RecordIn takes as they are, when
    record_fast takes it?"""
    if type(row) is not dict or not row.keys() <= ROW_FIELDS:
        return False
    if any(type(row.get(name)) is not str for name in MONEY_FIELDS):
        return False
    if any(type(row.get(name)) not in (int, str) for name in WHOLE_FIELDS):
        return False
    external_id, created = row.get("external_id"), row.get("created")
    if external_id is not None and type(external_id) is not str:
        return False
    if created is None:
        return True
    return type(created) is str and CREATED_PLAIN.fullmatch(created) is not None


def rows_check(rows: list[Any]) -> list[Built]:
    """Each row as a record, or every problem with it; pydantic's problems (types, unknown
    fields) raise ninja's ValidationError, as when ninja checks a body itself."""
    if all(row_plain(row) for row in rows):
        records = [record_fast(row) for row in rows]
        if None not in records:
            return [Built(record) for record in records]
    try:
        checked = RECORDS.validate_python(rows)
    except PydanticError as error:
        raise ValidationError(pydantic_errors(error)) from None
    return [record_build(values=row.model_dump(), index=i) for i, row in enumerate(checked)]


def pydantic_errors(error: PydanticError) -> list[dict[str, Any]]:
    """As ninja gives them: located in the body's batch's records, without the input."""
    return [
        {**detail, "loc": ("body", "batch", "records", *detail["loc"])}
        for detail in error.errors(include_url=False, include_input=False, include_context=False)
    ]
