from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

import pytest

from dashboard.history import (
    changed_chunk,
    snapshot_chunk,
    summary_frames,
    summary_plan,
    sync_point,
)
from feeds.encoding import batch_columns, batch_encode, epoch_ms, record_row
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create

EDGES = [
    {"spent": Decimal("0.01"), "created": datetime(2020, 1, 1, tzinfo=UTC)},  # no microseconds
    {"spent": Decimal("99999999.99"), "total": Decimal("0")},
    {
        "tip": Decimal("12345678.90"),
        "created": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    },
    {"spent": Decimal("0.29"), "created": datetime(1999, 12, 31, 23, 59, 59, 500, tzinfo=UTC)},
    {"total": Decimal("1.10"), "created": datetime(2026, 11, 27, 9, 5, 0, 1000, tzinfo=UTC)},
]


@pytest.fixture
def edge_records(db) -> list[SpendRecord]:
    records = spend_records_generate(rng=random.Random(4), count=len(EDGES))
    for record, values in zip(records, EDGES, strict=True):
        for field, value in values.items():
            setattr(record, field, value)
    records_create(records=records)
    return list(SpendRecord.objects.order_by("id"))


def live_batch(records: list[SpendRecord]) -> dict:
    """How the live path encodes these records, from the values Django reads back."""
    return batch_encode([record_row(record) for record in records])


def test_the_history_encodes_records_exactly_as_the_live_path(edge_records):
    text, count, _ = snapshot_chunk(after=0, upto=sync_point().position, size=100)

    assert count == len(EDGES)
    assert json.loads(text)["records"] == live_batch(edge_records)


def test_a_replay_encodes_records_exactly_as_the_live_path(edge_records):
    text, _, last = changed_chunk(after=0, upto=sync_point().position, size=100)

    assert json.loads(text)["records"] == live_batch(edge_records)
    assert last == edge_records[-1].seq


def test_history_chunks_follow_one_another_without_overlap(edge_records):
    upto = sync_point().position
    first, first_count, cursor = snapshot_chunk(after=0, upto=upto, size=3)
    second, second_count, _ = snapshot_chunk(after=cursor, upto=upto, size=3)

    ids = [batch_columns(json.loads(text)["records"])["id"] for text in (first, second)]
    assert (first_count, second_count) == (3, 2)
    assert ids[0] + ids[1] == [record.pk for record in edge_records]


@pytest.fixture
def spread_records(db) -> list[SpendRecord]:
    """Records a few minutes apart over a day, in creation order."""
    records = spend_records_generate(rng=random.Random(5), count=40)
    start = datetime(2026, 11, 26, tzinfo=UTC)
    for minutes, record in enumerate(records):
        record.created = start + timedelta(minutes=37 * minutes, microseconds=999)
    records_create(records=records)
    return list(SpendRecord.objects.order_by("id"))


def summary_cells(frames: list[tuple[str, int]]) -> dict[tuple, list[int]]:
    cells: dict[tuple, list[int]] = {}
    for text, _ in frames:
        batch = json.loads(text)["summary"]
        values = dict(batch["columns"])
        values["created"] = list(accumulate(values["created"]))
        for field, dictionary in batch["dictionaries"].items():
            values[field] = [dictionary[code] for code in values[field]]
        for row in zip(*(values[f] for f in CELL_FIELDS), strict=True):
            *key, spent, count = row
            cells[tuple(key)] = [spent, count]
    return cells


CELL_FIELDS = ("created", "name", "year", "pay_type", "amount", "spent", "records")


def test_a_long_history_summarises_all_but_the_latest_records(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 7
    upto = sync_point().position

    summary = summary_plan(upto=upto)
    frames = summary_frames(summary=summary, upto=upto)

    older = spread_records[:-7]
    assert summary.upto_id == older[-1].pk
    assert summary.bucket_ms == 15 * 60 * 1000  # about 120 buckets over the records' 24 h
    expected: dict[tuple, list[int]] = {}
    for record in older:
        bucket = epoch_ms(record.created) // summary.bucket_ms * summary.bucket_ms
        amount = int(record.spent) // 10 * 10
        cell = expected.setdefault(
            (bucket, record.name, record.year, record.pay_type, amount), [0, 0]
        )
        cell[0] += int(record.spent * 100)
        cell[1] += 1
    assert summary_cells(frames) == expected
    _, count, _ = snapshot_chunk(after=summary.upto_id, upto=upto, size=100)
    assert count == 7


def test_a_history_within_the_raw_limit_is_sent_whole(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = len(spread_records)

    assert summary_plan(upto=sync_point().position) is None


def test_a_time_range_is_summarised_in_the_range_buckets(spread_records, settings):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 2
    since = spread_records[30].created

    summary = summary_plan(upto=sync_point().position, since_ms=epoch_ms(since))
    frames = summary_frames(summary=summary, upto=sync_point().position, since_ms=epoch_ms(since))

    assert summary.upto_id == spread_records[-3].pk
    assert sum(count for _, count in summary_cells(frames).values()) == 8  # 30..37
