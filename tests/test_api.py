"""The API (feeds.api) against a real daphne, on the test database and a real Redis."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.models import ApiToken, SpendRecord
from feeds.selectors import spend_totals
from feeds.services import sequence_lock
from feeds.tokens import token_create, token_revoke
from tests.conftest import (
    Server,
    records_make,
    server_start,
    server_stop,
    session_cookie,
    user_make,
)

WRITE, READ = ApiToken.Scope.RECORDS_WRITE, ApiToken.Scope.RECORDS_READ


def row(**changes: Any) -> dict[str, Any]:
    values = {
        "name": "Ben",
        "spent": "12.34",
        "year": 2014,
        "pay_type": "visa",
        "quantity": 2,
        "total": "100.00",
        "tip": "10.00",
        "created": "2026-01-31T12:00:00+00:00",
    }
    return {**values, **changes}


def call(
    server: Server,
    method: str,
    path: str,
    *,
    key: str | None = None,
    body: object = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    sent = {"Content-Type": content_type, **(headers or {})}
    if key:
        sent["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(  # noqa: S310 - our own test server
        f"{server.url}/api/v1{path}", data=data, method=method, headers=sent
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, text, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        status, text, got = error.code, error.read(), dict(error.headers)
    try:
        return status, json.loads(text) if text else None, got
    except ValueError:
        return status, text, got


@pytest.fixture
def writer(transactional_db) -> str:
    return token_create(name="pos", scopes=[WRITE, READ])[1]


# Tokens and scopes


def test_a_write_token_stores_a_batch_and_answers_ids_and_positions(server, writer):
    status, body, _ = call(server, "POST", "/records", key=writer, body={"records": [row(), row()]})

    assert status == 201
    stored = list(SpendRecord.objects.order_by("id"))
    assert [r["id"] for r in body["records"]] == [r.pk for r in stored]
    assert [r["position"] for r in body["records"]] == [r.seq for r in stored]
    assert {r.source for r in stored} == {"api:pos"}


def test_scopes_bound_what_a_token_may_do(server, transactional_db):
    read_only = token_create(name="reader", scopes=[READ])[1]
    write_only = token_create(name="writer", scopes=[WRITE])[1]

    assert call(server, "POST", "/records", key=read_only, body={"records": [row()]})[0] == 403
    assert call(server, "GET", "/summary", key=write_only)[0] == 403
    assert call(server, "GET", "/summary", key=read_only)[0] == 200
    assert SpendRecord.objects.count() == 0


def test_no_token_a_wrong_one_or_a_session_cookie_alone_is_refused(server, transactional_db):
    staff = user_make("sam", team=True)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    cookie = {"Cookie": session_cookie(staff)}

    for key, headers in ((None, None), ("rtviz_not-a-token", None), (None, cookie)):
        status, body, got = call(
            server, "POST", "/records", key=key, body={"records": [row()]}, headers=headers
        )
        assert status == 401, body
        assert got.get("WWW-Authenticate") == "Bearer"
    assert SpendRecord.objects.count() == 0


def test_a_revoked_or_expired_token_is_refused_at_once(server, transactional_db):
    revoked_token, revoked = token_create(name="old", scopes=[WRITE, READ])
    expired = token_create(
        name="past", scopes=[WRITE, READ], expires=timezone.now() - timedelta(seconds=1)
    )[1]
    assert call(server, "GET", "/summary", key=revoked)[0] == 200

    token_revoke(token=revoked_token)

    assert call(server, "GET", "/summary", key=revoked)[0] == 401
    assert call(server, "POST", "/records", key=expired, body={"records": [row()]})[0] == 401
    assert SpendRecord.objects.count() == 0


def test_a_request_queued_behind_a_write_is_refused_once_its_token_is_revoked(
    server, transactional_db
):
    token, key = token_create(name="queued", scopes=[WRITE])
    answers: list[int] = []
    with transaction.atomic():
        sequence_lock()  # every writer now waits for this transaction
        request = threading.Thread(
            target=lambda: answers.append(
                call(server, "POST", "/records", key=key, body={"records": [row()]})[0]
            )
        )
        request.start()
        time.sleep(1.0)  # let it pass authentication and queue (it is refused either way)
        token_revoke(token=token)
    request.join(timeout=60)

    assert answers == [401]
    assert SpendRecord.objects.count() == 0


# Idempotency


def test_a_retried_batch_writes_nothing_twice_and_answers_the_same_ids(server, writer):
    batch = {"records": [row(external_id="a-1"), row(external_id="a-2", spent="1.00")]}

    first = call(server, "POST", "/records", key=writer, body=batch)
    again = call(server, "POST", "/records", key=writer, body=batch)

    assert (first[0], again[0]) == (201, 200)
    assert [r["id"] for r in again[1]["records"]] == [r["id"] for r in first[1]["records"]]
    assert [r["created"] for r in again[1]["records"]] == [False, False]
    assert SpendRecord.objects.count() == 2


def test_an_external_id_belongs_to_its_source(server, writer, transactional_db):
    other = token_create(name="other", scopes=[WRITE])[1]

    call(server, "POST", "/records", key=writer, body={"records": [row(external_id="x")]})
    call(server, "POST", "/records", key=other, body={"records": [row(external_id="x")]})

    assert sorted(SpendRecord.objects.values_list("source", flat=True)) == ["api:other", "api:pos"]


# Validation


def test_a_batch_with_bad_rows_writes_nothing_and_lists_every_problem(server, writer):
    bad = [
        row(),
        row(spent="-1", year=1999, pay_type="cheque"),
        row(quantity=0, name="", created="2026-01-31T12:00:00"),
        row(tip="1.234", created="2999-01-01T00:00:00Z"),
    ]

    status, body, _ = call(server, "POST", "/records", key=writer, body={"records": bad})

    assert status == 400
    found = {(e["index"], e["field"]) for e in body["errors"]}
    assert found >= {
        (1, "spent"),
        (1, "year"),
        (1, "pay_type"),
        (2, "quantity"),
        (2, "name"),
        (2, "created"),
        (3, "tip"),
        (3, "created"),
    }
    assert all(e["message"] for e in body["errors"])
    assert SpendRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"{not json", "application/json", "parse"),
        (json.dumps({"records": [row()]}).encode(), "text/plain", "Content-Type"),
        (json.dumps({"records": [row(colour="red")]}).encode(), "application/json", "colour"),
        (json.dumps({"records": []}).encode(), "application/json", "records"),
    ],
)
def test_malformed_bodies_get_a_clear_400(server, writer, raw, content_type, message):
    status, body, _ = call(
        server, "POST", "/records", key=writer, raw=raw, content_type=content_type
    )

    assert status == 400
    assert message in json.dumps(body)


# Limits


def test_a_batch_over_the_limit_is_413_naming_it(server, writer):
    status, body, _ = call(server, "POST", "/records", key=writer, body={"records": [row()] * 5001})

    assert status == 413
    assert "5000" in body["detail"]


def test_a_body_over_the_size_limit_is_413(server, writer):
    status, _, _ = call(server, "POST", "/records", key=writer, raw=b" " * (5 * 1024 * 1024))

    assert status == 413
    assert SpendRecord.objects.count() == 0


@pytest.fixture
def limited_server(transactional_db) -> Iterator[Server]:
    started = server_start(API_REQUESTS_PER_MINUTE="3")
    yield started
    server_stop(started)


def test_requests_past_the_rate_limit_get_429_with_retry_after(limited_server, transactional_db):
    key = token_create(name="busy", scopes=[READ])[1]

    statuses = [call(limited_server, "GET", "/summary", key=key) for _ in range(4)]

    assert [s[0] for s in statuses] == [200, 200, 200, 429]
    assert 1 <= int(statuses[-1][2]["Retry-After"]) <= 61


@pytest.fixture
def summary_limited_server(transactional_db) -> Iterator[Server]:
    started = server_start(API_SUMMARIES_PER_MINUTE="2")
    yield started
    server_stop(started)


def test_summaries_have_a_tighter_limit_than_other_requests(
    summary_limited_server, transactional_db
):
    """A summary is the API's heaviest read (the kept cells of its filters, and a range's edge
    records), in the one thread all of a process's views share: at the general 600 a minute,
    one read token could hold every process busy."""
    key = token_create(name="busy", scopes=[READ])[1]

    summaries = [call(summary_limited_server, "GET", "/summary", key=key)[0] for _ in range(3)]
    page = call(summary_limited_server, "GET", "/records", key=key)[0]

    assert summaries == [200, 200, 429]
    assert page == 200


@pytest.fixture
def hurried_server(transactional_db) -> Iterator[Server]:
    started = server_start(API_READ_SECONDS="0.001")
    yield started
    server_stop(started)


def test_a_read_past_its_deadline_is_stopped_with_a_503(hurried_server, transactional_db):
    """A page whose filter no index serves reads every record: seconds at millions of them,
    in the thread all of a process's views share. The database stops it past the deadline.
    (A summary reads the kept cells, milliseconds here: too fast to be stopped reliably, and
    under the same deadline.)"""
    records_make(20_000)
    key = token_create(name="slow", scopes=[READ])[1]

    page = call(hurried_server, "GET", "/records?year=2000", key=key)

    assert page[0] == 503
    assert "narrow its filters" in page[1]["detail"]


# Changes, reads


def test_patch_and_delete_reach_only_the_token_s_own_records(server, writer, transactional_db):
    other = token_create(name="other", scopes=[WRITE])[1]
    body = call(server, "POST", "/records", key=writer, body={"records": [row(), row()]})[1]
    first, second = (r["id"] for r in body["records"])

    patched = call(server, "PATCH", f"/records/{first}", key=writer, body={"spent": "99.99"})
    refused = call(server, "PATCH", f"/records/{first}", key=other, body={"spent": "1.00"})
    invalid = call(server, "PATCH", f"/records/{first}", key=writer, body={"year": 1900})
    deleted = call(server, "DELETE", f"/records/{second}", key=writer)

    assert patched[0] == 200 and patched[1]["spent"] == "99.99"
    assert patched[1]["position"] > body["records"][1]["position"]
    assert refused[0] == 404 and invalid[0] == 400
    assert deleted[0] == 204
    assert list(SpendRecord.objects.values_list("id", "spent")) == [(first, Decimal("99.99"))]


def test_records_come_a_page_at_a_time_by_cursor_with_filters(server, writer):
    rows = [row(name=name) for name in ("Ben", "Aziz", "Ben", "Ben", "Vijay", "Ben")]
    call(server, "POST", "/records", key=writer, body={"records": rows})

    seen, after = [], ""
    while True:
        page = call(server, "GET", f"/records?name=Ben&limit=2{after}", key=writer)[1]
        seen += [r["id"] for r in page["records"]]
        if page["next"] is None:
            break
        after = f"&after={page['next']}"

    assert seen == list(
        SpendRecord.objects.filter(name="Ben").order_by("id").values_list("id", flat=True)
    )
    assert call(server, "GET", "/records?after=x", key=writer)[0] == 400


def test_summary_gives_the_selector_s_totals_with_filters(server, writer):
    rows = [row(name="Ben", year=2013), row(name="Aziz", spent="1.01", pay_type="cash")]
    call(server, "POST", "/records", key=writer, body={"records": rows})

    everything = call(server, "GET", "/summary", key=writer)[1]
    filtered = call(server, "GET", "/summary?pay_type=cash", key=writer)[1]

    totals = spend_totals()
    assert everything["count"] == totals.count == 2
    assert everything["spent"] == "13.35"
    assert everything["by_name"] == {"Aziz": "1.01", "Ben": "12.34"}
    assert everything["by_year"] == {"2013": "12.34", "2014": "1.01"}
    assert filtered["count"] == 1 and filtered["by_pay_type"] == {"cash": "1.01"}


def test_a_summary_of_a_range_at_odd_milliseconds_counts_each_record_in_it_once(server, writer):
    """The range's whole buckets come from the kept cells, its partial edges from the records
    (feeds.tiling): a record on the range's first microsecond is in, one on its end is out."""
    moments = [
        "2026-01-31T09:59:59.999999+00:00",
        "2026-01-31T10:00:00.123457+00:00",  # the range's first microsecond
        "2026-01-31T10:00:00.900000+00:00",
        "2026-01-31T11:30:00+00:00",
        "2026-02-02T08:15:00+00:00",
        "2026-02-03T12:00:00.5+00:00",  # the range's end: out
    ]
    rows = [row(created=moment, spent=f"{i + 1}.01") for i, moment in enumerate(moments)]
    call(server, "POST", "/records", key=writer, body={"records": rows})

    query = "created_from=2026-01-31T11:00:00.123457%2B01:00&created_to=2026-02-03T12:00:00.500Z"
    summary = call(server, "GET", f"/summary?{query}", key=writer)[1]

    assert summary["count"] == 4
    assert summary["spent"] == "14.04"  # 2.01 + 3.01 + 4.01 + 5.01
    assert summary["by_name"] == {"Ben": "14.04"}


def test_the_schema_and_docs_are_for_staff(server, transactional_db):
    status_anonymous = urllib.request.build_opener(NoRedirect()).open
    staff = user_make("sam", team=True)
    staff.is_staff = True
    staff.save()
    request = urllib.request.Request(  # noqa: S310
        f"{server.url}/api/v1/openapi.json", headers={"Cookie": session_cookie(staff)}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        schema = json.loads(response.read())
    try:
        status_anonymous(f"{server.url}/api/v1/docs")
        anonymous = 200
    except urllib.error.HTTPError as error:
        anonymous = error.code

    assert schema["openapi"].startswith("3.")
    assert "/api/v1/records" in schema["paths"]
    assert anonymous == 302


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


# Hostile bodies

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELD_VALUES = st.fixed_dictionaries(
    {},
    optional={name: JSON_VALUES for name in (*row().keys(), "external_id", "records", "id")},
)
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.lists(FIELD_VALUES, max_size=5).map(lambda rs: json.dumps({"records": rs}).encode()),
    st.lists(st.builds(lambda r, c: {**row(), **r}, FIELD_VALUES, st.none()), max_size=3).map(
        lambda rs: json.dumps({"records": rs}).encode()
    ),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES, method=st.sampled_from(["POST", "PATCH"]))
# A list where a decimal goes: Decimal() takes it as (sign, digits, exponent), OverflowError.
@example(body=b'{"records":[{"spent":[9223372036854775808,null,null]}]}', method="POST")
def test_a_hostile_body_never_gets_a_500(server, writer, body, method):
    path = "/records" if method == "POST" else "/records/1"

    status, answer, _ = call(server, method, path, key=writer, raw=body)

    assert status < 500, answer
    assert "Traceback" not in json.dumps(answer, default=str)
