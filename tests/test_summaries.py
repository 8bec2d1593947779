from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

import pytest

from dashboard import summaries
from dashboard.history import SyncPoint, snapshot_chunk, sync_point
from dashboard.summaries import Summary, summary_frames, summary_plan
from feeds.encoding import epoch_ms
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import record_update, records_create, records_delete

CELL_FIELDS = ("created", "name", "year", "pay_type", "amount", "spent", "records")


@pytest.fixture(autouse=True)
def nothing_kept():
    summaries._kept = None  # rows kept by an earlier test, of another database


def summary_history(*, point: SyncPoint, since_ms: int = 0) -> tuple[Summary | None, list]:
    """As the consumer asks: what to summarise, then its frames."""
    summary = summary_plan(upto=point.position, since_ms=since_ms)
    if summary is None:
        return None, []
    return summary, summary_frames(summary, point=point, since_ms=since_ms)


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


def cells_stored(*, upto_id: int, bucket_ms: int) -> dict[tuple, list[int]]:
    """The same, computed here from the stored records."""
    cells: dict[tuple, list[int]] = {}
    for record in SpendRecord.objects.filter(id__lte=upto_id):
        bucket = epoch_ms(record.created) // bucket_ms * bucket_ms
        amount = int(record.spent) // 10 * 10
        key = (bucket, record.name, record.year, record.pay_type, amount)
        cell = cells.setdefault(key, [0, 0])
        cell[0] += int(record.spent * 100)
        cell[1] += 1
    return cells


def test_a_long_history_summarises_all_but_the_latest_records(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 7
    point = sync_point()

    summary, frames = summary_history(point=point)

    assert summary.upto_id == spread_records[-8].pk
    assert summary.bucket_ms == 15 * 60 * 1000  # about 120 buckets over the records' 24 h
    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=15 * 60 * 1000)
    _, whole, _ = snapshot_chunk(after=summary.upto_id, upto=point.position, size=100)
    assert whole == 7


def test_a_history_within_the_raw_limit_is_sent_whole(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = len(spread_records)

    assert summary_history(point=sync_point()) == (None, [])


def test_a_time_range_is_summarised_from_its_start(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 2
    since = epoch_ms(spread_records[30].created)

    summary, frames = summary_history(point=sync_point(), since_ms=since)

    assert summary.upto_id == spread_records[-3].pk
    assert sum(count for _, count in cells_sent(frames).values()) == 8  # records 30 to 37


def test_kept_rows_take_in_the_records_stored_since(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 5
    summary_history(point=sync_point())
    records_spread(3, seed=6, start=spread_records[-1].created)

    summary, frames = summary_history(point=sync_point())

    assert summary.upto_id == spread_records[-3].pk
    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=summary.bucket_ms)


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_a_change_to_a_summarised_record_is_never_served_from_kept_rows(
    spread_records, settings, change
):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 5
    summary_history(point=sync_point())
    old = spread_records[3]
    if change == "edit":
        old.spent, old.name = Decimal("148.50"), "Someone else"
        record_update(record=old)
    else:
        records_delete(queryset=SpendRecord.objects.filter(pk=old.pk))

    summary, frames = summary_history(point=sync_point())

    assert cells_sent(frames) == cells_stored(upto_id=summary.upto_id, bucket_ms=summary.bucket_ms)
