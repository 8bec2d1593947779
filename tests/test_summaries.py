from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from dashboard import summaries
from dashboard.history import snapshot_chunk, sync_point
from dashboard.summaries import Summary, snapshot
from feeds.cells import BUCKETS_MS, bucket_for, cells_rebuild
from feeds.generator import spend_records_generate
from feeds.models import SpendCell, SpendRecord
from feeds.selectors import cells_sizes_kept, records_span_ms
from feeds.services import record_update, records_create, records_delete
from feeds.units import epoch_ms

CELL_FIELDS = ("created", "name", "year", "pay_type", "amount", "spent", "records")


def summary_history(*, since_ms: int = 0) -> tuple[Summary | None, list]:
    _, summary, frames = summaries.summary_history(since_ms=since_ms)
    return summary, frames


def records_spread(count: int, *, seed: int, start: datetime) -> list[SpendRecord]:
    """Records 37 minutes apart from `start`, stored; in creation order."""
    records = spend_records_generate(rng=random.Random(seed), count=count)
    for minutes, record in enumerate(records):
        record.created = start + timedelta(minutes=37 * minutes, microseconds=999)
    return records_create(records=records)


@pytest.fixture
def spread_records(db) -> list[SpendRecord]:
    """40 records over a day."""
    records_spread(40, seed=5, start=datetime(2026, 11, 26, tzinfo=UTC))
    return list(SpendRecord.objects.order_by("id"))


def cells_sent(frames: list[tuple[str, int]]) -> dict[tuple, list[int]]:
    """The summary rows as the page adds them up: {(bucket, name, ...): [cents, records]}."""
    cells: dict[tuple, list[int]] = {}
    for text, _ in frames:
        batch = json.loads(text)["summary"]
        values = dict(batch["columns"])
        values["created"] = list(accumulate(values["created"]))
        for field, dictionary in batch["dictionaries"].items():
            values[field] = [dictionary[code] for code in values[field]]
        for *key, spent, count in zip(*(values[f] for f in CELL_FIELDS), strict=True):
            cell = cells.setdefault(tuple(key), [0, 0])
            cell[0] += spent
            cell[1] += count
    return cells


def cells_stored(*, bucket_ms: int, upto_id: int | None = None) -> dict[tuple, list[int]]:
    """The same, computed here from the stored records."""
    cells: dict[tuple, list[int]] = {}
    records = SpendRecord.objects.all()
    for record in records.filter(id__lte=upto_id) if upto_id else records:
        bucket = epoch_ms(record.created) // bucket_ms * bucket_ms
        amount = int(record.spent) // 10 * 10
        key = (bucket, record.name, record.year, record.pay_type, amount)
        cell = cells.setdefault(key, [0, 0])
        cell[0] += int(record.spent * 100)
        cell[1] += 1
    return cells


def cells_kept(size: int) -> dict[tuple, list[int]]:
    """The spend cells of one size, as stored."""
    rows = SpendCell.objects.filter(size=size, records__gt=0).values_list(
        "bucket", "name", "year", "pay_type", "amount", "spent", "records"
    )
    return {tuple(key): [spent, records] for *key, spent, records in rows}


def sizes_with_cells() -> set[int]:
    return set(SpendCell.objects.values_list("size", flat=True).distinct())


def assert_cells_follow_the_records() -> None:
    """Each kept size's cells are the records' sums; no other size has cells; the finest
    kept spans the records in at most ~TIME_BUCKETS buckets and the coarsest in one or two."""
    sizes = cells_sizes_kept()
    span = records_span_ms()
    assert sizes == [ms for ms in BUCKETS_MS if sizes[0] <= ms <= sizes[-1]]
    assert sizes[0] >= bucket_for(span)
    assert sizes[-1] >= min(span, BUCKETS_MS[-1])
    assert sizes_with_cells() <= set(sizes)
    for size in sizes:
        assert cells_kept(size) == cells_stored(bucket_ms=size), size


def test_a_young_history_keeps_no_size_coarser_than_its_span(db):
    """A week's cells for records a minute apart are the minute's over again: every write
    would add to ten sizes' cells where three say it all."""
    now = timezone.now()
    records = spend_records_generate(rng=random.Random(4), count=3)
    records_create(records=records)
    assert sizes_with_cells() == {1000}  # a moment apart: one second holds them

    later = spend_records_generate(rng=random.Random(5), count=2)
    later[0].created = now + timedelta(seconds=40)
    later[1].created = now - timedelta(hours=5)
    records_create(records=later[:1])  # 40 s: 1, 5, 15 and 60 s buckets
    assert cells_sizes_kept() == [1000, 5000, 15000, 60000]
    assert_cells_follow_the_records()

    records_create(records=later[1:])  # five hours: 5 minutes to 6 hours
    assert cells_sizes_kept() == [300_000, 900_000, 3_600_000, 21_600_000]
    assert_cells_follow_the_records()


def test_a_long_history_summarises_all_but_the_latest_records(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 7
    point = sync_point()

    summary, frames = summary_history()

    assert summary.upto_id == spread_records[-8].pk
    assert summary.bucket_ms == 15 * 60 * 1000  # about 120 buckets over the records' 24 h
    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=15 * 60 * 1000)
    _, whole, _ = snapshot_chunk(after=summary.upto_id, upto=point.position, size=100)
    assert whole == 7


def test_a_history_within_the_raw_limit_is_sent_whole(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = len(spread_records)

    assert summary_history() == (None, [])


def test_a_time_range_is_summarised_from_its_start(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 2
    since = epoch_ms(spread_records[30].created)

    summary, frames = summary_history(since_ms=since)

    assert summary.upto_id == spread_records[-3].pk
    assert sum(count for _, count in cells_sent(frames).values()) == 8  # records 30 to 37


def test_the_cells_follow_every_write(spread_records):
    assert_cells_follow_the_records()
    records_spread(3, seed=6, start=spread_records[-1].created)
    edited = spread_records[3]
    edited.spent, edited.name = Decimal("148.50"), "Someone else"
    edited.created += timedelta(hours=5)
    record_update(record=edited)
    records_delete(queryset=SpendRecord.objects.filter(pk__in=[r.pk for r in spread_records[5:9]]))

    assert_cells_follow_the_records()


def test_the_sizes_a_span_outgrows_are_dropped(db):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    records_create(records=spend_records_generate(rng=random.Random(1), count=3))
    assert cells_sizes_kept()[0] == 1000  # records a moment apart: the finest size
    assert SpendCell.objects.filter(size=1000).exists()

    records_spread(2, seed=2, start=start)  # now the records span almost two years

    assert cells_sizes_kept()[0] == 7 * 24 * 3600 * 1000
    assert_cells_follow_the_records()


def test_a_record_from_the_far_future_is_refused_and_leaves_the_cells_fine(spread_records):
    finest = cells_sizes_kept()[0]
    (record,) = spend_records_generate(rng=random.Random(9), count=1)
    record.created = datetime(9999, 1, 1, tzinfo=UTC)

    with pytest.raises(ValidationError):
        records_create(records=[record])

    assert cells_sizes_kept()[0] == finest
    assert SpendRecord.objects.count() == len(spread_records)


def test_a_record_at_the_windows_upper_edge_coarsens_the_cells_no_more_than_a_day_does(db):
    now = timezone.now()
    records_spread(3, seed=2, start=now - timedelta(hours=1))
    (record,) = spend_records_generate(rng=random.Random(9), count=1)
    record.created = now + timedelta(hours=23, minutes=59)

    records_create(records=[record])

    a_day_and_an_hour = timedelta(days=1, hours=1) / timedelta(milliseconds=1)
    assert cells_sizes_kept()[0] <= bucket_for(a_day_and_an_hour)
    assert_cells_follow_the_records()


def test_cells_made_afresh_are_the_cells_kept_by_the_writes(spread_records):
    kept = {size: cells_kept(size) for size in BUCKETS_MS}

    cells_rebuild()

    assert {size: cells_kept(size) for size in BUCKETS_MS} == kept


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_changed_record_is_summarised_as_it_is_now(spread_records, settings, change):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 5
    old = spread_records[3]
    if change == "edit":
        old.spent, old.name = Decimal("148.50"), "Someone else"
        record_update(record=old)
    else:
        records_delete(queryset=SpendRecord.objects.filter(pk=old.pk))

    summary, frames = summary_history()

    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=summary.bucket_ms)


def test_a_shrunk_span_is_summarised_in_the_finest_kept_buckets(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 2
    records_delete(queryset=SpendRecord.objects.filter(pk__in=[r.pk for r in spread_records[8:]]))

    summary, frames = summary_history()  # 8 records over 4 h: 5-minute buckets would do

    assert summary.bucket_ms == cells_sizes_kept()[0] == 15 * 60 * 1000
    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=summary.bucket_ms)


def test_past_the_row_limit_the_buckets_grow(db, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 5
    settings.DASHBOARD_SUMMARY_MAX_ROWS = 10
    records = spend_records_generate(rng=random.Random(7), count=40)
    for minutes, record in enumerate(records):  # one cell a bucket: the same purchase
        record.created = datetime(2026, 11, 26, tzinfo=UTC) + timedelta(minutes=37 * minutes)
        record.name, record.year, record.pay_type, record.spent = "Ben", 2014, "visa", Decimal(9)
    records_create(records=records)

    summary, frames = summary_history()  # cells in 15-minute buckets: 40; hours: 25; 6 h: 5

    assert summary.bucket_ms == 6 * 3600 * 1000
    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=summary.bucket_ms)


def records_write_elsewhere(count: int) -> None:
    """Store records through another connection, as another process would, and wait."""

    def write() -> None:
        records_create(records=spend_records_generate(rng=random.Random(3), count=count))
        connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    writer.join()


@pytest.mark.django_db(transaction=True)
def test_a_summary_reads_one_moment_and_lets_writers_write():
    records_write_elsewhere(2)
    with snapshot():
        seen = sync_point()
        records_write_elsewhere(3)  # on SQLite, this waits for a write lock the read must not hold

        assert sync_point() == seen
        assert SpendRecord.objects.count() == 2
    assert sync_point().position == seen.position + 3


def test_a_range_loaded_twice_over_is_bucketed_for_the_range_shown(spread_records, settings):
    """The page asks for twice its range (the period before it, for the comparison): the
    time chart spans the range, so its buckets are the range's, not twice as coarse."""
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 2
    now_ms = epoch_ms(timezone.now())
    day = 24 * 3600 * 1000
    _, summary, _ = summaries.summary_history(since_ms=now_ms - 2 * day, span_ms=day)
    assert summary is not None
    assert summary.bucket_ms == bucket_for(day)
    assert bucket_for(day) < bucket_for(2 * day)  # without the span, it would be coarser
