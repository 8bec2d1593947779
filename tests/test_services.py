from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from feeds import broadcast
from feeds.encoding import MAX_RECORDS_PER_FRAME, batch_columns, epoch_ms
from feeds.generator import spend_records_generate
from feeds.models import ChangeSequence, SpendDeletion, SpendRecord
from feeds.services import record_update, records_create, records_delete


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
def test_a_batch_is_one_transaction_and_one_columnar_group_message(group_listener):
    generated = spend_records_generate(rng=random.Random(3), count=25)
    created = records_create(records=generated)
    returned = epoch_ms(timezone.now())

    event = group_listener()
    ids = [record.pk for record in created]
    positions = [record.seq for record in created]
    assert SpendRecord.objects.count() == 25
    assert event["type"] == broadcast.CHANGES_EVENT
    (frame,) = event["frames"]
    assert positions == list(range(positions[0], positions[0] + 25))
    assert (frame["from"], frame["to"]) == (positions[0], positions[-1])
    frame = json.loads(frame["text"])
    assert frame["type"] == "changes" and frame["v"] == 1
    assert (frame["from"], frame["to"]) == (positions[0], positions[-1])
    assert epoch_ms(generated[0].created) <= frame["at"] <= returned  # stamped on commit
    batch = frame["records"]
    assert batch["count"] == 25
    values = batch_columns(batch)
    assert values["id"] == ids
    assert values["name"] == [record.name for record in created]
    assert values["spent"] == [int(record.spent * 100) for record in created]
    assert values["created"] == [epoch_ms(record.created) for record in created]
    assert batch["columns"]["id"] == [ids[0]] + [1] * 24  # sent as differences


@pytest.mark.django_db(transaction=True)
def test_a_batch_bigger_than_a_frame_is_one_message_of_several_bounded_frames(group_listener):
    count = MAX_RECORDS_PER_FRAME * 2 + 1
    created = records_create(records=spend_records_generate(rng=random.Random(7), count=count))

    frames = group_listener()["frames"]

    batches = [json.loads(frame["text"])["records"] for frame in frames]
    assert [batch["count"] for batch in batches] == [
        MAX_RECORDS_PER_FRAME,
        MAX_RECORDS_PER_FRAME,
        1,
    ]
    assert [i for batch in batches for i in batch_columns(batch)["id"]] == [r.pk for r in created]
    assert [(frame["from"], frame["to"]) for frame in frames][-1] == (created[-1].seq,) * 2
    assert max(len(frame["text"]) for frame in frames) < settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE


@pytest.mark.django_db(transaction=True)
def test_nothing_is_broadcast_when_the_transaction_rolls_back(group_listener):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        records_create(records=spend_records_generate(rng=random.Random(3), count=2))
        raise RuntimeError("abort")
    records_create(records=spend_records_generate(rng=random.Random(4), count=1))

    event = group_listener()  # the first message is the committed record's, not the rolled back
    assert json.loads(event["frames"][0]["text"])["records"]["count"] == 1
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

    frame = json.loads(group_listener()["frames"][0]["text"])
    assert record.seq == frame["from"] == frame["to"] == ChangeSequence.objects.get().position
    assert frame["records"]["columns"]["spent"] == [123]


@pytest.mark.django_db(transaction=True)
def test_a_delete_leaves_tombstones_with_positions_and_is_broadcast(group_listener):
    created = records_create(records=spend_records_generate(rng=random.Random(9), count=4))
    group_listener()
    doomed = [created[0].pk, created[2].pk]

    deleted = records_delete(queryset=SpendRecord.objects.filter(pk__in=doomed))

    frame = json.loads(group_listener()["frames"][0]["text"])
    assert deleted == 2
    assert frame["deletes"] == doomed
    tombstones = list(SpendDeletion.objects.order_by("seq").values_list("seq", "record_id"))
    assert tombstones == [(frame["from"], doomed[0]), (frame["to"], doomed[1])]
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
