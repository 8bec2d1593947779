from __future__ import annotations

import asyncio
import json
import random

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.urls import reverse

from dashboard import wire
from dashboard.relay import live_relay
from feeds import cells
from feeds.broadcast import changes_message
from feeds.generator import spend_records_generate
from feeds.models import SpendDeletion
from feeds.services import records_create
from feeds.units import RECORD_FIELDS, record_values
from tests.conftest import records_make


def test_a_batch_is_columnar_with_differences_and_dictionaries():
    columns = {
        "id": [41, 42, 43],
        "name": ["Ben", "Aziz", "Ben"],
        "spent": [1234, 999, 15000],
        "year": [2014, 2012, 2015],
        "pay_type": ["visa", "visa", "cash"],
        "quantity": [1, 3, 2],
        "total": [45000, 3099, 700],
        "tip": [1050, 1000, 1299],
        "created": [1795765812804, 1795765812804, 1795765812806],
        "updated": [1795765812807, 1795765812807, 1795765812807],
    }

    batch = wire.batch_encode(columns)

    assert batch["count"] == 3
    assert batch["columns"]["id"] == [41, 1, 1]
    assert batch["columns"]["created"] == [1795765812804, 0, 2]
    assert batch["columns"]["updated"] == [3, 3, 1]
    assert batch["columns"]["name"] == [0, 1, 0]
    assert batch["dictionaries"] == {"name": ["Ben", "Aziz"], "pay_type": ["visa", "cash"]}
    assert wire.batch_columns(batch) == columns


def test_an_empty_batch_has_empty_columns():
    batch = wire.batch_encode(wire.rows_columns([], RECORD_FIELDS))

    assert batch["count"] == 0
    assert all(values == [] for values in batch["columns"].values())


@pytest.mark.django_db
def test_a_change_message_becomes_frames_with_their_positions_and_commit_time():
    records = records_make(3)
    deletions = [SpendDeletion(seq=90, record_id=7), SpendDeletion(seq=91, record_id=9)]
    message = changes_message(upserts=records, deletions=deletions)

    upserted, deleted = wire.changes_frames(message)

    frame = json.loads(upserted["text"])
    assert (frame["type"], frame["v"], frame["at"]) == ("changes", 1, message["at"])
    assert (upserted["from"], upserted["to"]) == (records[0].seq, records[-1].seq)
    assert (frame["from"], frame["to"]) == (records[0].seq, records[-1].seq)
    columns = wire.batch_columns(frame["records"])
    assert list(zip(*columns.values(), strict=True)) == [record_values(r) for r in records]
    frame = json.loads(deleted["text"])
    assert (frame["from"], frame["to"], frame["deletes"]) == (90, 91, [7, 9])


@pytest.mark.django_db
def test_a_change_bigger_than_a_frame_becomes_several_bounded_frames():
    count = wire.MAX_RECORDS_PER_FRAME * 2 + 1
    created = records_create(records=spend_records_generate(rng=random.Random(7), count=count))

    frames = wire.changes_frames(changes_message(upserts=created))

    batches = [json.loads(frame["text"])["records"] for frame in frames]
    assert [batch["count"] for batch in batches] == [
        wire.MAX_RECORDS_PER_FRAME,
        wire.MAX_RECORDS_PER_FRAME,
        1,
    ]
    ids = [i for batch in batches for i in wire.batch_columns(batch)["id"]]
    assert ids == [record.pk for record in created]
    assert (frames[-1]["from"], frames[-1]["to"]) == (created[-1].seq,) * 2
    assert max(len(frame["text"]) for frame in frames) < settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE


def test_summary_rows_are_columnar_with_bucket_differences():
    rows = [(3600000, "Ben", 2014, "visa", 10, 5241, 4), (7200000, "Ben", 2014, "cash", 0, 9, 1)]

    ((text, count),) = wire.summary_frames(rows, bucket_ms=3600000)

    batch = json.loads(text)["summary"]
    assert count == 2 and batch["bucket"] == 3600000
    assert batch["columns"]["created"] == [3600000, 3600000]
    assert batch["columns"]["pay_type"] == [0, 1]
    assert batch["dictionaries"] == {"name": ["Ben"], "pay_type": ["visa", "cash"]}


def test_hello_carries_the_constants_the_page_shares_with_the_server():
    hello = json.loads(wire.hello_frame(user="ben"))

    constants = hello["constants"]
    assert (hello["type"], hello["v"], hello["user"]) == ("hello", 1, "ben")
    assert constants["protocol"] == wire.PROTOCOL_VERSION
    assert constants["buckets_ms"] == list(cells.BUCKETS_MS)
    assert constants["time_buckets"] == cells.TIME_BUCKETS == 120
    assert constants["amount_bin_dollars"] == cells.AMOUNT_BIN_DOLLARS == 10
    assert constants["fields"] == list(RECORD_FIELDS)
    assert constants["close"]["login_required"] == 4401
    assert all(code == 1000 or 4000 <= code <= 4999 for code in constants["close"].values())


def test_the_page_is_rendered_with_the_same_constants_as_hello(client, team_user):
    client.force_login(team_user)

    response = client.get(reverse("dashboard:index"))

    hello = json.loads(wire.hello_frame(user=team_user.get_username()))
    rendered = response.content.decode()
    assert f'data-wire="{wire.page_constants_json().replace(chr(34), "&quot;")}"' in rendered
    assert json.loads(wire.page_constants_json()) == hello["constants"]


def test_messages_other_than_changes_pass_the_relay_as_they_are():
    message = {"type": "relay.failed"}

    assert wire.live_message(message) is message


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_the_relay_encodes_each_change_once_for_all_of_its_sockets():
    class Member:  # takes what the relay hands a socket (dashboard.relay.Member)
        def __init__(self) -> None:
            self.queue: asyncio.Queue = asyncio.Queue()

        def relay_deliver(self, message: dict) -> tuple[int, int]:
            self.queue.put_nowait(message)
            return 0, 0

        def relay_lost(self) -> None:
            pass

        def relay_queued(self) -> int:
            return self.queue.qsize()

    relay = live_relay()
    members = [Member(), Member()]
    for member in members:
        await relay.join(member)
    try:
        await sync_to_async(records_make)(2)
        first, second = [await asyncio.wait_for(m.queue.get(), timeout=10) for m in members]
    finally:
        for member in members:
            relay.leave(member)

    assert first is second  # one message object, its frames encoded once
    (frame,) = first["frames"]
    assert json.loads(frame["text"])["records"]["count"] == 2
