"""feeds.rows: the shortcut accepts only what the model's own checks accept, with the same
values; everything else gets the model's own errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from feeds.models import PayType
from feeds.rows import FIELDS, record_build, record_build_by_model, record_fast

MONEY = st.one_of(
    st.from_regex(r"\s?-?[0-9]{0,9}(\.[0-9]{0,4})?(e[0-9])?\s?", fullmatch=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-1, max_value=11000, places=2),
    st.sampled_from(["10000.00", "10000.01", "1000.00", "1000.01", "0", "0.00", "-0.00", "1_0"]),
    st.floats(),
    st.integers(-5, 20000),
    st.text(max_size=12),
    st.none(),
)
WHOLE = st.one_of(
    st.integers(-5, 2200),
    st.from_regex(r"\s?[+-]?[0-9]{0,7}\s?", fullmatch=True),
    st.sampled_from(["٢٠١٤", "²", "2014.0", "1000", "1001"]),
    st.booleans(),
    st.floats(
        allow_infinity=False
    ),  # int(inf) is an OverflowError in the model: no caller sends floats
    st.text(max_size=6),
    st.none(),
)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1),  # hypothesis takes naive bounds
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(st.none(), st.just(UTC), st.timezones()),
)
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=64)
AMOUNT = st.decimals(min_value=0, max_value=10000, places=2)
VALID = st.fixed_dictionaries(
    {
        "name": st.text(
            st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=64
        ),
        "spent": st.one_of(AMOUNT, AMOUNT.map(str)),
        "year": st.one_of(st.integers(2000, 2100), st.integers(2000, 2100).map(str)),
        "pay_type": st.sampled_from([*PayType.values, *PayType]),
        "quantity": st.one_of(st.integers(1, 1000), st.integers(1, 1000).map(str)),
        "total": st.one_of(AMOUNT, AMOUNT.map(str)),
        "tip": st.one_of(st.decimals(min_value=0, max_value=1000, places=2), st.just("1000.00")),
    }
)
CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(
            st.text(max_size=70),
            st.sampled_from(["Ben", "", " ", "A" * 64, "A" * 65, "Ann\u202egnp", "Zoë", "a\tb"]),
            st.integers(),
            st.none(),
        ),
        "spent": MONEY,
        "year": WHOLE,
        "pay_type": st.one_of(
            st.sampled_from([*PayType.values, *PayType, "cheque", "VISA", "", " visa"]),
            st.text(max_size=12),
            st.none(),
        ),
        "quantity": WHOLE,
        "total": MONEY,
        "tip": MONEY,
        "created": st.one_of(
            st.none(),
            st.just(""),
            MOMENTS,
            MOMENTS.map(lambda moment: moment.isoformat()),
            st.just(timezone.now() + timedelta(hours=23)).map(str),
            st.text(max_size=30),
        ),
        "external_id": st.one_of(st.none(), st.just(""), st.text(max_size=140), st.integers()),
    },
)
# A good row with some of its values changed, often to bad ones; or a row of anything.
ROW = st.one_of(st.tuples(VALID, CHANGES).map(lambda pair: {**pair[0], **pair[1]}), CHANGES)


def same(fast: object, model: object) -> bool:
    if isinstance(fast, Decimal):
        return type(model) is Decimal and fast.as_tuple() == model.as_tuple()
    return type(fast) is type(model) and fast == model


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=ROW)
def test_the_shortcut_accepts_only_what_the_model_accepts_with_the_same_values(values):
    fast = record_fast(values)
    model = record_build_by_model(values=values, index=7)

    event("shortcut" if fast is not None else "the model")
    if fast is None:
        return
    assert model.errors == []
    assert model.record is not None
    for name in (*FIELDS, "external_id"):
        assert same(getattr(fast, name), getattr(model.record, name)), name
    if values.get("created") in (None, ""):
        assert abs(fast.created - model.record.created) < timedelta(seconds=5)
    else:
        assert fast.created == model.record.created


@settings(max_examples=500, deadline=None)
@given(values=ROW)
def test_every_row_gets_the_model_s_own_errors(values):
    built = record_build(values=values, index=7)
    model = record_build_by_model(values=values, index=7)

    assert built.errors == model.errors
    assert (built.record is None) == (model.record is None)


def test_a_csv_line_s_text_and_an_api_row_s_typed_values_take_the_shortcut():
    text = {
        "name": "Ben",
        "spent": "12.34",
        "year": "2014",
        "pay_type": "visa",
        "quantity": "2",
        "total": "100",
        "tip": "1.5",
        "created": "2026-01-31T12:00:00+00:00",
        "external_id": "r1",
    }
    typed = {
        **text,
        "spent": Decimal("12.34"),
        "year": 2014,
        "pay_type": PayType.VISA,
        "quantity": 2,
        "created": None,
    }

    assert record_fast(text) is not None
    assert record_fast(typed) is not None
