from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q

from feeds import selectors
from feeds.generator import spend_records_generate
from feeds.models import ChangeSequence, SpendRecord
from feeds.services import record_update, records_create, records_delete
from feeds.units import cents, epoch_ms, record_values

START = datetime(2026, 11, 26, tzinfo=UTC)


@pytest.fixture
def records(db) -> list[SpendRecord]:
    """Six records ten minutes apart, with the times and amounts that round."""
    made = spend_records_generate(rng=random.Random(11), count=6)
    for minutes, record in enumerate(made):
        record.created = START + timedelta(minutes=10 * minutes, microseconds=999_999)
    made[0].spent = Decimal("9999.99")  # near the largest allowed (feeds.validators)
    made[1].spent = Decimal("0.29")
    records_create(records=made)
    return list(SpendRecord.objects.order_by("id"))


def test_the_sync_point_is_the_committed_end_of_the_sequence(records):
    point = selectors.sync_point()

    sequence = ChangeSequence.objects.get()
    assert (point.position, point.epoch) == (sequence.position, sequence.epoch)


@pytest.mark.django_db
def test_the_sync_point_before_any_change_is_zero():
    assert selectors.sync_point().position == 0


def test_records_by_id_come_in_integer_units_computed_by_the_database(records):
    rows = selectors.records_by_id(after=0, upto=selectors.sync_point().position, size=100)

    assert [row[:-1] for row in rows] == [record_values(record) for record in records]
    assert [row[-1] for row in rows] == [record.seq for record in records]


def test_records_by_id_page_after_an_id_up_to_a_position_and_since_a_time(records):
    upto = records[3].seq

    page = selectors.records_by_id(after=records[0].pk, upto=upto, size=2)
    recent = selectors.records_by_id(
        after=0, upto=upto, size=100, since_ms=epoch_ms(records[2].created)
    )

    assert [row[0] for row in page] == [records[1].pk, records[2].pk]
    assert [row[0] for row in recent] == [records[2].pk, records[3].pk]


def test_changed_records_and_deletions_come_by_position(records):
    after = selectors.sync_point().position
    records[0].tip = Decimal("1.00")
    record_update(record=records[0])
    records_delete(queryset=SpendRecord.objects.filter(pk=records[1].pk))
    upto = selectors.sync_point().position

    changed = selectors.records_changed(after=after, upto=upto, size=100)
    deleted = selectors.deletions_changed(after=after, upto=upto, size=100)

    assert [(row[0], row[7], row[-1]) for row in changed] == [(records[0].pk, 100, after + 1)]
    assert deleted == [(after + 2, records[1].pk)]


def test_the_latest_record_but_some(records):
    assert selectors.record_latest_but(skip=2) == records[3].pk
    assert selectors.record_latest_but(skip=6) is None
    since = epoch_ms(records[4].created)
    assert selectors.record_latest_but(skip=1, since_ms=since) == records[4].pk


def test_the_records_span_in_milliseconds(records):
    assert selectors.records_span_ms() == 50 * 60 * 1000


@pytest.mark.django_db
def test_no_records_span_nothing():
    assert selectors.records_span_ms() == 0


def test_records_group_into_cells_as_summed_by_hand(records):
    grouped = selectors.records_grouped(Q(), size=900_000, amount_bin_dollars=10)

    by_hand: Counter[tuple] = Counter()
    counts: Counter[tuple] = Counter()
    for record in records:
        key = (
            epoch_ms(record.created) // 900_000 * 900_000,
            record.name,
            record.year,
            record.pay_type,
            cents(record.spent) // 1000 * 10,
        )
        by_hand[key] += cents(record.spent)
        counts[key] += 1
    assert sorted(grouped) == sorted((*key, by_hand[key], counts[key]) for key in by_hand)


def test_records_grouped_with_a_sign_and_a_size_column(records):
    condition = Q(id=records[1].pk)

    (row,) = selectors.records_grouped(
        condition, size=60_000, amount_bin_dollars=10, with_size=True, sign=-1
    )

    assert row[0] == 60_000
    assert row[5:] == (0, -29, -1)  # $0.29, in the $0 bin


def test_the_cells_of_a_size_are_what_the_writes_kept(records):
    cells = selectors.cells_of_size(size=3_600_000)

    assert sum(cell[6] for cell in cells) == len(records)
    assert sum(cell[5] for cell in cells) == sum(cents(r.spent) for r in records)
    assert selectors.cells_count_upto(size=3_600_000, limit=1) == 2  # stops past the limit


@pytest.mark.django_db
def test_the_sizes_kept_are_the_finest_alone_before_any_write():
    assert selectors.cells_sizes_kept() == [1000]


@pytest.mark.django_db
def test_spend_totals_are_exact_to_the_cent():
    """The API's summary says it is what the dashboard shows, and the dashboard sums cents:
    SQLite sums decimals as floats (230 times 0.01 is 2.2999999999999950), which came back a
    cent short once cut to cents, in the total and in every group."""
    rows = spend_records_generate(rng=random.Random(5), count=230)
    for record in rows:
        record.spent, record.name, record.year, record.pay_type = (
            Decimal("0.01"),
            "Ann",
            2014,
            "cash",
        )
    records_create(records=rows)

    totals = selectors.spend_totals()

    assert (totals.count, totals.spent) == (230, 230)
    assert totals.by_name == {"Ann": 230} and totals.by_year == {"2014": 230}
    assert totals.by_pay_type == {"cash": 230}
