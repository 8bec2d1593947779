from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from feeds.cells import BUCKETS_MS, cells_upsert
from feeds.generator import spend_records_generate
from feeds.models import CellState, ChangeSequence, SpendCell
from feeds.selectors import cells_sizes_kept
from feeds.services import records_create

# The cells' sums follow every write and a rebuild: tests/test_summaries.py, beside the
# summaries drawn from them.


def test_the_raw_sql_names_the_cells_table_as_the_model_does():
    assert SpendCell._meta.db_table == "feeds_spendcell"


@pytest.mark.django_db
def test_the_finest_size_kept_lives_apart_from_the_sequence_every_writer_locks():
    records_create(records=spend_records_generate(rng=random.Random(1), count=2))
    sequence_before = ChangeSequence.objects.values().get()
    old = spend_records_generate(rng=random.Random(2), count=1)
    old[0].created = datetime(2025, 1, 1, tzinfo=UTC)

    with CaptureQueriesContext(connection) as queries:
        records_create(records=old)  # the span outgrows the finest sizes

    assert cells_sizes_kept()[0] == CellState.objects.get().finest_ms == BUCKETS_MS[-1]
    sequence_writes = [
        q["sql"] for q in queries if "UPDATE" in q["sql"] and "changesequence" in q["sql"]
    ]
    # The writer's lock (feeds.services.sequence_lock) and the position: nothing of the cells.
    assert len(sequence_writes) == 2
    assert not any("finest" in sql for sql in sequence_writes)
    assert ChangeSequence.objects.get().position == sequence_before["position"] + 1
    assert not SpendCell.objects.filter(size__lt=BUCKETS_MS[-1]).exists()


@pytest.mark.django_db
def test_taking_records_away_from_cells_leaves_empty_cells_at_zero():
    (record,) = records_create(records=spend_records_generate(rng=random.Random(3), count=1))

    cells_upsert(Q(pk=record.pk), sizes=[BUCKETS_MS[0]], sign=-1)

    assert list(SpendCell.objects.filter(size=BUCKETS_MS[0]).values_list("records", "spent")) == [
        (0, 0)
    ]
