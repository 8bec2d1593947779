"""feeds.api.batch: a batch of plain rows, checked without pydantic, gets the answers it gets
through RecordIn (pydantic) and the model's checks: the same records, the same errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ninja.errors import ValidationError
from pydantic import ValidationError as PydanticError

from feeds.api.batch import RECORDS, pydantic_errors, row_plain, rows_check
from feeds.models import PayType
from feeds.rows import FIELDS, record_build, record_fast

# What JSON gives: text, whole and other numbers, true/false, null.
MONEY = st.one_of(
    st.decimals(min_value=0, max_value=11000, places=2).map(str),
    st.from_regex(r"\s?-?[0-9]{0,9}(\.[0-9]{0,4})?(e[0-9])?\s?", fullmatch=True),
    st.sampled_from(["10000.00", "1000.01", "0", "-0.00", "1_0", "12.5", ""]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-5, 20000),
    st.booleans(),
    st.none(),
)
WHOLE = st.one_of(
    st.integers(-5, 2200),
    st.from_regex(r"\s?[+-]?[0-9]{0,7}\s?", fullmatch=True),
    st.sampled_from(["٢٠١٤", "²", "2014.0", "0002014"]),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(st.none(), st.just(UTC), st.timezones()),
)
CREATED = st.one_of(
    st.none(),
    st.just(""),
    MOMENTS.map(lambda moment: moment.isoformat()),
    MOMENTS.map(lambda moment: moment.isoformat(sep=" ")),
    MOMENTS.map(lambda moment: moment.isoformat(timespec="seconds").replace("+00:00", "Z")),
    st.sampled_from(
        ["2026-01-31T12:00:00+23:59", "2026-01-31T12:00:00+24:00", "2026-02-30T12:00:00Z"]
    ),
    st.text(max_size=30),
    st.integers(),
)
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=64)
ROW = st.fixed_dictionaries(
    {
        "name": st.one_of(PRINTABLE, st.text(max_size=70), st.integers(), st.none()),
        "spent": MONEY,
        "year": WHOLE,
        "pay_type": st.one_of(st.sampled_from([*PayType.values, "cheque", "VISA", ""]), st.none()),
        "quantity": WHOLE,
        "total": MONEY,
        "tip": MONEY,
    },
    optional={
        "created": CREATED,
        "external_id": st.one_of(st.none(), st.just(""), st.text(max_size=140), st.integers()),
        "unknown": st.integers(),
    },
)
GOOD = st.fixed_dictionaries(
    {
        "name": PRINTABLE,
        "spent": st.decimals(min_value=0, max_value=10000, places=2).map(str),
        "year": st.one_of(st.integers(2000, 2100), st.integers(2000, 2100).map(str)),
        "pay_type": st.sampled_from(PayType.values),
        "quantity": st.one_of(st.integers(1, 1000), st.integers(1, 1000).map(str)),
        "total": st.decimals(min_value=0, max_value=10000, places=2).map(str),
        "tip": st.decimals(min_value=0, max_value=1000, places=2).map(str),
    },
    optional={"created": CREATED, "external_id": st.one_of(st.none(), st.text(max_size=130))},
)
BATCH = st.one_of(
    st.lists(GOOD, min_size=1, max_size=3),
    st.lists(st.one_of(GOOD, ROW, st.integers(), st.lists(st.integers())), max_size=3),
)


def by_pydantic(rows):
    """The way every batch went before: RecordIn, then the model's checks."""
    checked = RECORDS.validate_python(rows)
    return [record_build(values=row.model_dump(), index=i) for i, row in enumerate(checked)]


def same(ours, theirs, sent) -> None:
    assert ours.errors == theirs.errors
    assert (ours.record is None) == (theirs.record is None)
    if ours.record is None:
        return
    for name in (*FIELDS, "external_id"):
        mine, reference = getattr(ours.record, name), getattr(theirs.record, name)
        assert mine == reference, name
        if isinstance(mine, Decimal):
            assert mine.as_tuple() == reference.as_tuple(), name
    if sent.get("created") is None:  # now, read a moment apart
        assert abs(ours.record.created - theirs.record.created) < timedelta(seconds=5)
    else:
        assert ours.record.created == theirs.record.created


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=BATCH)
def test_a_batch_gets_the_answers_pydantic_and_the_model_give(rows):
    try:
        reference = by_pydantic(rows)
    except PydanticError as error:
        event("pydantic refuses")
        with pytest.raises(ValidationError) as refused:
            rows_check(rows)
        assert refused.value.errors == pydantic_errors(error)
        return
    skipped = all(row_plain(row) and record_fast(row) for row in rows)
    event("pydantic skipped" if skipped else "through pydantic")
    built = rows_check(rows)
    assert len(built) == len(reference)
    for ours, theirs, sent in zip(built, reference, rows, strict=True):
        same(ours, theirs, sent)


def test_the_bench_s_rows_skip_pydantic():
    row = {"name": "Ben", "spent": "12.50", "year": 2014, "pay_type": "visa", "quantity": 2}
    row |= {"total": "100.00", "tip": "1.50"}

    assert row_plain(row)
    assert row_plain({**row, "created": "2026-01-31T12:00:00.123+01:00", "external_id": "r1"})
    assert not row_plain({**row, "spent": 12.5})  # a JSON number: pydantic reads it
    assert not row_plain({**row, "note": "x"})  # an unknown field: pydantic names it
