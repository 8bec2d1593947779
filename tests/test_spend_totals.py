"""The API's summary (feeds.selectors.spend_totals), read from the kept cells and a range's edge
records: equal to the records' own sums to the cent for any filters, and bounded in what it
reads."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.db.models import BigIntegerField, Count, Sum
from django.db.models.functions import Cast
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.generator import spend_records_generate
from feeds.models import PayType, SpendRecord
from feeds.selectors import SpendFilter, SpendTotals, records_filtered, spend_totals
from feeds.services import record_update, records_create, records_delete
from feeds.units import Cents

START = datetime(2023, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
NAMES = ("Ann", "Ben", "Çelik")
YEARS = (2012, 2013, 2014)
# Spans from seconds to years: the writes keep different finest sizes (feeds.cells).
SPANS_US = (
    20 * 10**6,
    40 * 60 * 10**6,
    3 * 86_400 * 10**6,
    40 * 86_400 * 10**6,
    3 * 365 * 86_400 * 10**6,
)


def totals_summed_from_records(spend_filter: SpendFilter) -> SpendTotals:
    """A plain COUNT and SUM (of whole cents) over the matching records, by each column."""
    records = records_filtered(spend_filter=spend_filter)
    cents_sum = Cast(Sum(Cents("spent")), BigIntegerField())
    overall = records.aggregate(count=Count("id"), spent=cents_sum)
    totals = SpendTotals(count=overall["count"], spent=overall["spent"] or 0)
    for column, into in (
        ("year", totals.by_year),
        ("name", totals.by_name),
        ("pay_type", totals.by_pay_type),
    ):
        rows = records.values_list(column).annotate(spend=cents_sum).order_by(column)
        into.update({str(key): spend for key, spend in rows if spend})
    return totals


RECORDS = st.lists(
    st.tuples(
        st.floats(0, 1),  # where in the span
        st.sampled_from(NAMES),
        st.sampled_from(YEARS),
        st.sampled_from(PayType.values),
        st.sampled_from([0, 1, 29, 999, 1000, 12_345, 999_999]) | st.integers(0, 999_999),
    ),
    min_size=1,
    max_size=25,
)


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's writes, undone after it: each starts from an empty database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def records_write(rows: list[tuple[Any, ...]], *, span_us: int, batches: int) -> None:
    made = spend_records_generate(rng=random.Random(len(rows)), count=len(rows))
    for record, (where, name, year, pay_type, spent) in zip(made, rows, strict=True):
        record.created = START + round(where * span_us) * US
        record.name, record.year, record.pay_type = name, year, pay_type
        record.spent = Decimal(spent).scaleb(-2)
    for batch in range(batches):  # the span grows between batches: finer sizes are dropped
        records_create(records=made[batch::batches])


def moments(data: st.DataObject, *, span_us: int) -> datetime:
    """A range's end: a stored record's own moment (give or take a microsecond), or anywhere
    near the span, at any microsecond."""
    stored = list(SpendRecord.objects.values_list("created", flat=True))
    near = st.sampled_from(stored).flatmap(
        lambda moment: st.sampled_from([moment - US, moment, moment + US])
    )
    anywhere = st.integers(-span_us // 10, span_us + span_us // 10).map(lambda us: START + us * US)
    return data.draw(near | anywhere if stored else anywhere)


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=RECORDS,
    span_us=st.sampled_from(SPANS_US),
    batches=st.integers(1, 3),
    deleted=st.sets(st.integers(0, 24), max_size=4),
    data=st.data(),
)
def test_the_summary_is_the_records_own_sums_for_any_filters(rows, span_us, batches, deleted, data):
    with rolled_back():
        records_write(rows, span_us=span_us, batches=batches)
        ids = list(SpendRecord.objects.order_by("id").values_list("id", flat=True))
        records_delete(
            queryset=SpendRecord.objects.filter(id__in=[ids[i] for i in deleted if i < len(ids)])
        )
        changed = SpendRecord.objects.order_by("id").first()
        if changed is not None and data.draw(st.booleans()):  # moved and repriced: cells follow
            changed.created, changed.spent = START + span_us // 2 * US, Decimal("0.01")
            record_update(record=changed)
        kind = data.draw(st.sampled_from(["none", "from", "to", "both", "narrow"]))
        created_from = (
            moments(data, span_us=span_us) if kind in ("from", "both", "narrow") else None
        )
        created_to = moments(data, span_us=span_us) if kind in ("to", "both") else None
        if kind == "narrow":  # often inside one bucket
            assert created_from is not None
            created_to = created_from + data.draw(st.integers(0, 3_000_000)) * US
        spend_filter = SpendFilter(
            created_from=created_from,
            created_to=created_to,
            name=data.draw(st.none() | st.sampled_from([*NAMES, "Nobody"])),
            pay_type=data.draw(st.none() | st.sampled_from(PayType.values)),
            year=data.draw(st.none() | st.sampled_from([*YEARS, 2015])),
        )

        assert spend_totals(spend_filter=spend_filter) == totals_summed_from_records(spend_filter)


@contextmanager
def statements_run() -> Iterator[list[tuple[str, Any]]]:
    """Every statement run meanwhile, with its parameters, exactly as sent."""
    seen: list[tuple[str, Any]] = []

    def record(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def plan_of(sql: str, params: Any) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small would be scanned
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_summary_reads_the_cells_and_only_a_range_s_edge_records():
    """The records are read only with a created range, through its index: never by scanning
    them all, at any number of them."""
    made = spend_records_generate(rng=random.Random(7), count=50)
    for minute, record in enumerate(made):
        record.created = START + timedelta(minutes=minute, microseconds=123)
    records_create(records=made)

    with statements_run() as unfiltered:
        spend_totals(spend_filter=SpendFilter(name="Ben"))
    with statements_run() as ranged:
        spend_totals(
            spend_filter=SpendFilter(
                created_from=START + timedelta(minutes=3, milliseconds=1.5),
                created_to=START + timedelta(minutes=41, seconds=7),
                year=2014,
            )
        )

    assert any("feeds_spendcell" in sql for sql, _ in unfiltered)
    assert not any("feeds_spendrecord" in sql for sql, _ in unfiltered)
    (read,) = [(sql, params) for sql, params in ranged if "feeds_spendrecord" in sql]
    assert "feeds_spendcell" in read[0]
    assert '"feeds_spendrecord"."created" >=' in read[0]
    assert '"feeds_spendrecord"."created" <' in read[0]
    plan = plan_of(*read)
    assert "spend_created_idx" in plan, plan
    assert "Seq Scan on feeds_spendrecord" not in plan and "SCAN feeds_spendrecord" not in plan


def record_write_elsewhere(created: datetime) -> None:
    """Store a record through another connection, as another process would, and wait."""

    def write() -> None:
        (record,) = spend_records_generate(rng=random.Random(9), count=1)
        record.created = created
        records_create(records=[record])
        connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()


@pytest.mark.django_db(transaction=True)
def test_the_sizes_kept_and_their_cells_are_read_at_one_moment():
    """A write can outgrow the finest sizes kept (feeds.cells drops their cells) between the
    summary's read of the sizes and its read of the cells: both must see one moment."""
    made = spend_records_generate(rng=random.Random(8), count=60)
    for second, record in enumerate(made):
        record.created = START + timedelta(seconds=second)
    records_create(records=made)  # a minute: cells from 1 s up
    in_range = SpendFilter(
        created_from=START + timedelta(seconds=2.5), created_to=START + timedelta(seconds=47.5)
    )
    expected = totals_summed_from_records(in_range)
    written = []

    def write_after_the_sizes(execute, sql, params, many, context):
        done = execute(sql, params, many, context)
        if "feeds_cellstate" in sql and not written:
            written.append(True)  # a year earlier: only week cells are kept from now on
            record_write_elsewhere(START - timedelta(days=365))
        return done

    with connection.execute_wrapper(write_after_the_sizes):
        totals = spend_totals(spend_filter=in_range)

    assert written
    assert totals == expected == totals_summed_from_records(in_range)
