"""Any sequence of writes (creates anywhere in the window, updates moving a record, deletes,
a rebuild) keeps each kept size's cells equal to the records' own sums, no cells outside the
kept sizes, and the readers (spend_totals, summary_history) equal to plain sums."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import summaries
from feeds.cells import BUCKETS_MS, bucket_for, cells_rebuild
from feeds.generator import spend_records_generate
from feeds.models import CellState, PayType, SpendCell, SpendRecord
from feeds.selectors import SpendFilter, cells_sizes_kept, records_span_ms, spend_totals
from feeds.services import record_update, records_create, records_delete
from feeds.validators import CREATED_MIN
from tests.test_spend_totals import NAMES, YEARS, rolled_back, totals_summed_from_records
from tests.test_summaries import cells_kept, cells_sent, cells_stored

US = timedelta(microseconds=1)
NOW = timezone.now()
ANCHORS = (CREATED_MIN, datetime(2020, 6, 1, tzinfo=UTC), NOW - timedelta(hours=2))
SCALES_US = (1, 10**3, 10**6, 60 * 10**6, 3600 * 10**6, 86_400 * 10**6, 365 * 86_400 * 10**6)


def moment(anchor: int, scale: int, steps: int) -> datetime:
    at = ANCHORS[anchor] + steps * SCALES_US[scale] * US
    return min(max(at, CREATED_MIN), NOW)


MOMENTS = st.builds(
    moment,
    st.integers(0, len(ANCHORS) - 1),
    st.integers(0, len(SCALES_US) - 1),
    st.integers(-1500, 1500),
)
RECORD = st.tuples(
    MOMENTS,
    st.sampled_from(NAMES),
    st.sampled_from(YEARS),
    st.sampled_from(PayType.values),
    st.integers(0, 999_999),
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.lists(RECORD, min_size=1, max_size=4)),
        st.tuples(st.just("update"), st.integers(0, 30), MOMENTS, st.integers(0, 999_999)),
        st.tuples(st.just("delete"), st.sets(st.integers(0, 30), max_size=3)),
        st.tuples(st.just("rebuild")),
    ),
    min_size=1,
    max_size=8,
)


def assert_cells_are_the_records_sums() -> None:
    sizes = cells_sizes_kept()
    assert sizes == [ms for ms in BUCKETS_MS if sizes[0] <= ms <= sizes[-1]]
    stored_sizes = set(SpendCell.objects.values_list("size", flat=True).distinct())
    assert stored_sizes <= set(sizes), (stored_sizes, sizes)
    span = records_span_ms()
    assert sizes[0] >= bucket_for(span) or not SpendRecord.objects.exists()
    for size in sizes:
        assert cells_kept(size) == cells_stored(bucket_ms=size), size


def op_run(op: tuple) -> None:
    ids = list(SpendRecord.objects.order_by("id").values_list("id", flat=True))
    if op[0] == "create":
        made = spend_records_generate(rng=random.Random(len(ids)), count=len(op[1]))
        for record, (created, name, year, pay_type, cents) in zip(made, op[1], strict=True):
            record.created, record.name, record.year = created, name, year
            record.pay_type, record.spent = pay_type, Decimal(cents).scaleb(-2)
        records_create(records=made)
    elif op[0] == "update" and ids:
        record = SpendRecord.objects.get(id=ids[op[1] % len(ids)])
        record.created, record.spent = op[2], Decimal(op[3]).scaleb(-2)
        record_update(record=record)
    elif op[0] == "delete" and ids:
        chosen = [ids[i % len(ids)] for i in op[1]]
        records_delete(queryset=SpendRecord.objects.filter(id__in=chosen))
    elif op[0] == "rebuild":
        cells_rebuild()


@pytest.mark.django_db
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS, data=st.data())
def test_any_writes_keep_the_cells_and_the_readers_exact(ops, data):
    with rolled_back():
        if data.draw(st.booleans()):  # a flushed database: no CellState row
            CellState.objects.all().delete()
        for op in ops:
            op_run(op)
            assert_cells_are_the_records_sums()
        for _ in range(3):
            ends = sorted(
                [data.draw(st.none() | MOMENTS), data.draw(st.none() | MOMENTS)],
                key=lambda m: (m is None, m),
            )
            spend_filter = SpendFilter(
                created_from=ends[0] if data.draw(st.booleans()) else None,
                created_to=ends[1],
                name=data.draw(st.none() | st.sampled_from(NAMES)),
            )
            assert spend_totals(spend_filter=spend_filter) == totals_summed_from_records(
                spend_filter
            )
        with override_settings(
            DASHBOARD_HISTORY_RAW_LIMIT=data.draw(st.integers(0, 3)),
            DASHBOARD_SUMMARY_MAX_ROWS=data.draw(st.sampled_from([1, 5, 60_000])),
        ):
            _, summary, frames = summaries.summary_history()
        if summary is not None:
            assert cells_sent(frames) == cells_stored(
                upto_id=summary.upto_id, bucket_ms=summary.bucket_ms
            )
