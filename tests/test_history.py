from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dashboard.history import changed_chunk, snapshot_chunk, sync_point
from dashboard.wire import batch_columns, changes_frames
from feeds.broadcast import changes_message
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create

EDGES = [
    {"spent": Decimal("0.01"), "created": datetime(2020, 1, 1, tzinfo=UTC)},  # no microseconds
    {"spent": Decimal("10000.00"), "total": Decimal("0")},  # the bounds (feeds.validators)
    {
        "tip": Decimal("1000.00"),
        "created": datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    },
    {"spent": Decimal("0.29"), "created": datetime(2000, 1, 1, 0, 0, 0, 500, tzinfo=UTC)},
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
    (frame,) = changes_frames(changes_message(upserts=records))
    return json.loads(frame["text"])["records"]


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
