from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.utils import timezone

from feeds import broadcast
from feeds.generator import spend_records_generate
from feeds.models import ChangeSequence, SpendDeletion, SpendRecord
from feeds.services import record_update, records_create, records_delete
from feeds.units import RECORD_FIELDS, epoch_ms


@pytest.fixture
def group_listener():
    """A channel of our own in the spend group, as a dashboard consumer would have.

    It lives on one event loop, as a consumer's does: channels-redis keeps its receive
    state per loop, and receiving from a new loop each time (async_to_sync) re-delivers.
    """
    layer = get_channel_layer()
    with asyncio.Runner() as runner:
        channel = runner.run(layer.new_channel())
        runner.run(layer.group_add(broadcast.SPEND_GROUP, channel))
        yield lambda: runner.run(asyncio.wait_for(layer.receive(channel), timeout=10))
        runner.run(layer.group_discard(broadcast.SPEND_GROUP, channel))


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_one_transaction_and_one_group_message_of_what_changed(group_listener):
    generated = spend_records_generate(rng=random.Random(3), count=25)
    created = records_create(records=generated)
    returned = epoch_ms(timezone.now())

    event = group_listener()
    positions = [record.seq for record in created]
    assert SpendRecord.objects.count() == 25
    assert event["type"] == broadcast.CHANGES_EVENT
    assert set(event) == {"type", "at", "upserts"}  # no frame text: feeds knows no wire format
    assert positions == list(range(positions[0], positions[0] + 25))
    assert event["upserts"]["positions"] == positions
    assert epoch_ms(generated[0].created) <= event["at"] <= returned  # stamped on commit
    values = event["upserts"]["columns"]
    assert list(values) == list(RECORD_FIELDS)
    assert values["id"] == [record.pk for record in created]
    assert values["name"] == [record.name for record in created]
    assert values["spent"] == [int(record.spent * 100) for record in created]  # cents
    assert values["created"] == [epoch_ms(record.created) for record in created]


@pytest.mark.django_db(transaction=True)
def test_a_big_batch_is_still_one_group_message(group_listener):
    count = 12_001
    created = records_create(records=spend_records_generate(rng=random.Random(7), count=count))

    event = group_listener()

    assert event["upserts"]["columns"]["id"] == [record.pk for record in created]
    assert event["upserts"]["positions"][-1] == created[-1].seq


@pytest.mark.django_db
def test_a_batch_is_stored_exactly_as_given_with_ids_in_position_order():
    # On PostgreSQL the batch goes by COPY (feeds.bulk): text that COPY's format escapes, and
    # ids read back by position, must come back exactly.
    odd = ["back\\slash \\N", 'quote " and, comma', "Zoë 李 😀", "tab\tnew\nline", "x" * 64]
    records = spend_records_generate(rng=random.Random(11), count=len(odd) + 2)
    for record, name in zip(records, odd, strict=False):
        record.name = name
    records[0].spent, records[1].spent = Decimal("0.00"), Decimal("9999.99")
    records[2].external_id = "ext-1"
    given = [(r.name, r.spent, r.year, r.pay_type, r.quantity, r.total, r.tip) for r in records]

    created = records_create(records=records)

    stored = SpendRecord.objects.order_by("seq")
    assert [r.pk for r in created] == [r.pk for r in stored]
    assert [r.seq for r in stored] == list(range(created[0].seq, created[0].seq + len(records)))
    assert [
        (r.name, r.spent, r.year, r.pay_type, r.quantity, r.total, r.tip) for r in stored
    ] == given
    assert [(r.created, r.external_id, r.source) for r in stored] == [
        (r.created, r.external_id, "generator") for r in records
    ]
    assert all(r.updated is not None for r in stored)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_broadcast_when_the_transaction_rolls_back(group_listener):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        records_create(records=spend_records_generate(rng=random.Random(3), count=2))
        raise RuntimeError("abort")
    records_create(records=spend_records_generate(rng=random.Random(4), count=1))

    event = group_listener()  # the first message is the committed record's, not the rolled back
    assert len(event["upserts"]["positions"]) == 1
    assert SpendRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_broadcast_failure_keeps_the_records_and_is_counted(settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
        }
    }
    failed_before = broadcast.stats.failed

    records_create(records=spend_records_generate(rng=random.Random(5), count=3))

    assert SpendRecord.objects.count() == 3
    assert broadcast.stats.failed == failed_before + 1


@pytest.mark.django_db(transaction=True)
def test_an_update_takes_the_next_position_and_is_broadcast(group_listener):
    (record,) = records_create(records=spend_records_generate(rng=random.Random(8), count=1))
    group_listener()
    record.spent = Decimal("1.23")

    record_update(record=record)

    upserts = group_listener()["upserts"]
    assert [record.seq] == upserts["positions"] == [ChangeSequence.objects.get().position]
    assert upserts["columns"]["spent"] == [123]


@pytest.mark.django_db(transaction=True)
def test_a_delete_leaves_tombstones_with_positions_and_is_broadcast(group_listener):
    created = records_create(records=spend_records_generate(rng=random.Random(9), count=4))
    group_listener()
    doomed = [created[0].pk, created[2].pk]

    deleted = records_delete(queryset=SpendRecord.objects.filter(pk__in=doomed))

    deletions = group_listener()["deletions"]
    assert deleted == 2
    assert deletions["ids"] == doomed
    tombstones = list(SpendDeletion.objects.order_by("seq").values_list("seq", "record_id"))
    assert tombstones == list(zip(deletions["positions"], doomed, strict=True))
    assert set(SpendRecord.objects.values_list("pk", flat=True)) == {created[1].pk, created[3].pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "created",
    [
        datetime(1969, 12, 31, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, tzinfo=UTC),
    ],
)
def test_a_batch_with_a_record_outside_the_date_window_is_refused_whole(created):
    first, outside = spend_records_generate(rng=random.Random(3), count=2)
    outside.created = created

    with pytest.raises(ValidationError, match="created"):
        records_create(records=[first, outside])

    assert not SpendRecord.objects.exists()


@pytest.mark.django_db
def test_an_update_outside_the_date_window_is_refused():
    (record,) = records_create(records=spend_records_generate(rng=random.Random(3), count=1))
    record.created = timezone.now() + timedelta(days=2)

    with pytest.raises(ValidationError, match="created"):
        record_update(record=record)

    assert SpendRecord.objects.get(pk=record.pk).created < timezone.now()


@pytest.mark.django_db
def test_an_update_of_a_record_deleted_since_it_was_read_does_not_bring_it_back():
    """An API PATCH (or an admin save) reads the record, then waits for the writer's lock; a
    delete that commits meanwhile was undone: save() found no row to update and inserted one,
    so a deleted record came back with its tombstone still in the sequence."""
    (record,) = records_create(records=spend_records_generate(rng=random.Random(4), count=1))
    records_delete(queryset=SpendRecord.objects.filter(pk=record.pk))
    position = ChangeSequence.objects.get().position
    record.spent = Decimal("1.23")

    with pytest.raises(SpendRecord.DoesNotExist):
        record_update(record=record)

    assert not SpendRecord.objects.exists()
    assert ChangeSequence.objects.get().position == position
