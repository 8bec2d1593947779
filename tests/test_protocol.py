"""Fuzzing what clients and command lines send: a clear error or a valid value, never a crash."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from django.core.management import CommandError
from hypothesis import given
from hypothesis import strategies as st

from dashboard.protocol import (
    CLIENT_FRAMES,
    ProtocolError,
    client_frame_parse,
    resume_parse,
    since_parse,
    span_parse,
)
from feeds.management.commands.generate_spend import (
    MAX_COUNT,
    MAX_RATE,
    count_option,
    names_option,
    rate_option,
    seed_option,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
frame_like = st.fixed_dictionaries(
    {"type": st.sampled_from([*CLIENT_FRAMES, "drop", ""])},
    optional={
        "v": json_values,
        "position": json_values | st.integers(min_value=-(2**70), max_value=2**70),
        "epoch": json_values,
    },
)


def parses_or_refuses(text: str | None) -> None:
    try:
        frame = client_frame_parse(text)
    except ProtocolError as error:
        assert error.code and error.message
        assert json.loads(error.frame())["type"] == "error"
    else:
        assert frame["type"] in CLIENT_FRAMES


@given(st.text(max_size=300))
def test_any_text_parses_or_gets_a_protocol_error(text):
    parses_or_refuses(text)


@given(json_values | frame_like)
def test_any_json_parses_or_gets_a_protocol_error(value):
    parses_or_refuses(json.dumps(value))


@given(frame_like)
def test_an_accepted_resync_has_a_valid_position_and_epoch(value):
    try:
        frame = client_frame_parse(json.dumps(value))
    except ProtocolError:
        return
    if frame["type"] == "resync":
        assert type(frame["position"]) is int and 0 <= frame["position"] < 2**63
        assert isinstance(frame["epoch"], str)


@given(st.binary(max_size=200))
def test_any_query_string_resumes_or_gets_a_protocol_error(query):
    try:
        epoch, position = resume_parse(query)
    except ProtocolError as error:
        assert error.code == "bad_position"
    else:
        assert (epoch, position) == (None, None) or (
            isinstance(epoch, str) and 0 <= position < 2**63
        )


@given(st.integers(min_value=0, max_value=10**16) | st.text(max_size=20))
def test_any_time_range_start_is_a_datetime_or_gets_a_protocol_error(value):
    try:
        since = since_parse(f"since={value}".encode())
    except ProtocolError as error:
        assert error.code == "bad_since"
    else:
        assert datetime.fromtimestamp(since / 1000, UTC).year <= 9999


def test_a_time_range_start_past_year_9999_gets_a_protocol_error():
    try:
        since_parse(b"since=999999999999999")
    except ProtocolError as error:
        assert error.code == "bad_since"
    else:
        raise AssertionError("accepted a start in the year 33658")


@given(st.text(max_size=40) | st.floats() | st.integers())
def test_any_rate_is_a_valid_rate_or_a_command_error(value):
    try:
        rate = rate_option(value)
    except CommandError as error:
        assert str(error).startswith("--rate: ")
    else:
        assert math.isfinite(rate) and 0 < rate <= MAX_RATE


@given(st.text(max_size=40) | st.integers() | st.none())
def test_any_count_is_a_valid_count_or_a_command_error(value):
    try:
        count = count_option("count", value)
    except CommandError as error:
        assert str(error).startswith("--count: ")
    else:
        assert count is None or 1 <= count <= MAX_COUNT


@given(st.text(max_size=40) | st.integers() | st.none())
def test_any_seed_is_a_whole_number_or_a_command_error(value):
    try:
        seed = seed_option(value)
    except CommandError as error:
        assert str(error).startswith("--seed: ")
    else:
        assert seed is None or isinstance(seed, int)


@given(st.text(max_size=200))
def test_any_names_are_a_clean_list_or_a_command_error(value):
    try:
        names = names_option(value)
    except CommandError as error:
        assert str(error).startswith("--names: ")
    else:
        assert names and all(0 < len(name) <= 64 and name == name.strip() for name in names)
        assert len(set(names)) == len(names)


def test_the_shown_span_is_milliseconds_or_zero_and_a_bad_one_is_a_protocol_error():
    assert span_parse(b"since=5") == 0  # none: the span since `since`
    assert span_parse(b"since=5&span=3600000") == 3_600_000
    for bad in (b"span=-1", b"span=1h", b"span=" + b"9" * 16):
        try:
            span_parse(bad)
        except ProtocolError as error:
            assert error.code == "bad_span"
        else:
            raise AssertionError(bad)
