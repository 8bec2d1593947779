from __future__ import annotations

import json
import random

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from feeds import broadcast
from feeds.encoding import MAX_RECORDS_PER_FRAME
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create


@pytest.fixture
def group_listener():
    """A channel of our own in the spend group, as a dashboard consumer would have."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(broadcast.SPEND_GROUP, channel)
    yield lambda: async_to_sync(layer.receive)(channel)
    async_to_sync(layer.group_discard)(broadcast.SPEND_GROUP, channel)


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_one_transaction_and_one_columnar_group_message(group_listener):
    created = records_create(records=spend_records_generate(rng=random.Random(3), count=25))

    event = group_listener()
    ids = [record.pk for record in created]
    assert SpendRecord.objects.count() == 25
    assert event["type"] == broadcast.RECORDS_EVENT
    (frame,) = event["frames"]
    assert (frame["first_id"], frame["last_id"]) == (min(ids), max(ids))
    frame = json.loads(frame["text"])
    assert frame["type"] == "records" and frame["v"] == 1
    batch = frame["records"]
    assert batch["count"] == 25
    assert batch["columns"]["id"] == ids
    names = [batch["dictionaries"]["name"][code] for code in batch["columns"]["name"]]
    assert names == [record.name for record in created]
    assert batch["columns"]["spent"] == [int(record.spent * 100) for record in created]


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
    assert [i for batch in batches for i in batch["columns"]["id"]] == [r.pk for r in created]
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
