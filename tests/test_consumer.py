from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.db import connections
from django.utils import timezone

from dashboard import access
from dashboard.relay import live_relay
from dashboard.state import STATE
from dashboard.wire import batch_columns
from feeds.broadcast import SPEND_GROUP, changes_broadcast
from feeds.generator import spend_records_generate
from feeds.models import ChangeSequence, SpendRecord
from feeds.services import record_update, records_create, records_delete
from feeds.units import epoch_ms
from rtviz.asgi import application
from tests.conftest import records_make, session_cookie

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")  # the site's own origin is the Host's (rtviz.origins)


@pytest.fixture(autouse=True)
async def empty_channel_layer():
    await get_channel_layer().flush()
    STATE.reset()  # a cached sync point belongs to an earlier test's database, and so on
    yield
    # This test's loop ends with the test: stop its relay while the loop runs, and let
    # channels-redis's backup cleaners finish (each holds the channel's receive lock until it
    # does), or a lock stays held, bound to a dead loop, for the next test's (test_services).
    await live_relay().stop()
    await asyncio.gather(*get_channel_layer().receive_cleaners, return_exceptions=True)


async def open_socket(user=None, *, origin=ORIGIN, query: str = "") -> WebsocketCommunicator:
    headers = [HOST, origin] if origin else [HOST]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/dashboard/?{query}" if query else "/ws/dashboard/"
    return WebsocketCommunicator(application, path, headers=headers)


async def receive_json(socket: WebsocketCommunicator) -> dict:
    return json.loads(await socket.receive_from(timeout=10))


async def receive_history(socket: WebsocketCommunicator) -> tuple[list[dict], dict]:
    """Connect, then read hello and history chunks up to the end marker."""
    connected, _ = await socket.connect(timeout=10)
    assert connected
    hello = await receive_json(socket)
    assert hello["type"] == "hello" and hello["v"] == 1
    return await receive_until_end(socket)


async def receive_until_end(socket: WebsocketCommunicator) -> tuple[list[dict], dict]:
    chunks = []
    while (frame := await receive_json(socket))["type"] == "history":
        chunks.append(frame)
    assert frame["type"] == "history_end"
    return chunks, frame


def ids_of(frames: list[dict]) -> list[int]:
    return [i for frame in frames if "records" in frame for i in columns(frame)["id"]]


def columns(frame: dict) -> dict:
    return batch_columns(frame["records"])


async def all_ids() -> set[int]:
    return set(await sync_to_async(list)(SpendRecord.objects.values_list("id", flat=True)))


async def test_anonymous_socket_gets_an_error_frame_and_close_4401():
    socket = await open_socket()
    await socket.connect(timeout=10)

    assert (await receive_json(socket))["code"] == "login_required"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


async def test_a_user_outside_the_team_gets_close_4403(outsider):
    socket = await open_socket(outsider)
    await socket.connect(timeout=10)

    assert (await receive_json(socket))["code"] == "forbidden"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4403}


@pytest.mark.parametrize("origin", [(b"origin", b"http://evil.example"), None])
async def test_a_foreign_or_missing_origin_is_refused(team_user, origin):
    socket = await open_socket(team_user, origin=origin)

    connected, _ = await socket.connect(timeout=10)

    assert not connected


async def test_history_arrives_in_columnar_chunks_then_an_end_marker(team_user, settings):
    settings.DASHBOARD_HISTORY_CHUNK_SIZE = 4
    created = await sync_to_async(records_make)(10)
    socket = await open_socket(team_user)

    chunks, end = await receive_history(socket)

    assert [chunk["records"]["count"] for chunk in chunks] == [4, 4, 2]
    assert ids_of(chunks) == [record.pk for record in created]
    position, epoch = await sync_to_async(
        ChangeSequence.objects.values_list("position", "epoch").get
    )()
    assert position == created[-1].seq
    assert end == {
        "type": "history_end", "v": 1, "count": 10, "position": position, "epoch": epoch,
        "mode": "full",
    }  # fmt: skip
    first = created[0]
    values = columns(chunks[0])
    assert values["name"][0] == first.name
    assert values["spent"][0] == int(first.spent * 100)
    assert values["created"][0] == epoch_ms(first.created)
    assert values["updated"][0] == epoch_ms(first.updated)
    await socket.disconnect()


async def test_live_batches_follow_history_and_records_already_sent_are_not_repeated(team_user):
    old = await sync_to_async(records_make)(3)
    socket = await open_socket(team_user)
    await receive_history(socket)

    # A late doorbell for records the history already held is dropped ...
    await sync_to_async(changes_broadcast)(upserts=old)
    # ... and a new batch arrives once, whole, with its positions.
    new = await sync_to_async(records_make)(5, seed=2)

    frame = await receive_json(socket)
    assert frame["type"] == "changes"
    assert columns(frame)["id"] == [record.pk for record in new]
    assert (frame["from"], frame["to"]) == (new[0].seq, new[-1].seq)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_records_written_during_the_history_stream_arrive_exactly_once(team_user, settings):
    settings.DASHBOARD_HISTORY_CHUNK_SIZE = 20
    await sync_to_async(records_make)(400)
    history_done = threading.Event()
    batches_written = 0

    def write_until_history_is_sent() -> None:
        nonlocal batches_written
        rng = random.Random(9)
        try:
            # Keep writing from before the socket opens until after history ends, so writes
            # land before the group join, between join and mark, and during the stream.
            while not history_done.is_set() or batches_written < 3:
                records_create(records=spend_records_generate(rng=rng, count=3))
                batches_written += 1
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_until_history_is_sent)
    writer.start()
    socket = await open_socket(team_user)
    try:
        chunks, end = await receive_history(socket)
    finally:
        history_done.set()
        await asyncio.to_thread(writer.join)
    expected = await all_ids()
    history_ids = ids_of(chunks)
    live_frames = []
    while len(history_ids) + len(ids_of(live_frames)) < len(expected):
        live_frames.append(await receive_json(socket))

    received = history_ids + ids_of(live_frames)
    assert batches_written >= 3
    assert len(received) == len(set(received))  # none twice
    assert set(received) == expected  # none missed
    assert all(frame["from"] > end["position"] for frame in live_frames)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


@pytest.mark.parametrize(
    "text, code",
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"type": 7}', "bad_frame"),
        ('{"type": "drop_tables"}', "unknown_type"),
        ('{"type": "ping", "v": 99}', "bad_version"),
        ('{"type": "ping", "v": true}', "bad_version"),
        ('{"type": "ping", "extra": 1}', "bad_field"),
        ('{"type": "resync", "epoch": "e"}', "bad_field"),
        ('{"type": "resync", "epoch": "e", "position": -1}', "bad_field"),
        ('{"type": "resync", "epoch": "e", "position": 1.5}', "bad_field"),
        ('{"type": "resync", "epoch": 7, "position": 1}', "bad_field"),
        ('{"type": "resync", "epoch": "e", "position": ' + "9" * 30 + "}", "bad_field"),
        ("[" * 3000, "bad_json"),  # nested past the recursion limit
        ('{"type": "ping", "pad": "' + "x" * 5000 + '"}', "frame_too_large"),
    ],
)
async def test_a_malformed_client_frame_gets_an_error_frame_and_the_socket_stays_open(
    team_user, text, code
):
    socket = await open_socket(team_user)
    await receive_history(socket)

    await socket.send_to(text_data=text)
    error = await receive_json(socket)
    await socket.send_to(text_data='{"type": "ping", "v": 1}')

    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert (await receive_json(socket))["type"] == "pong"
    await socket.disconnect()


async def test_a_binary_frame_gets_an_error_frame(team_user):
    socket = await open_socket(team_user)
    await receive_history(socket)

    await socket.send_to(bytes_data=b"\x00\x01")

    assert (await receive_json(socket))["code"] == "binary_frame"
    await socket.disconnect()


async def test_edits_and_deletes_reach_an_open_socket(team_user):
    first, second = await sync_to_async(records_make)(2)
    socket = await open_socket(team_user)
    await receive_history(socket)

    first.spent = Decimal("9.99")
    await sync_to_async(record_update)(record=first)
    await sync_to_async(records_delete)(queryset=SpendRecord.objects.filter(pk=second.pk))

    update, delete = await receive_json(socket), await receive_json(socket)
    assert columns(update)["id"] == [first.pk]
    assert columns(update)["spent"] == [999]
    assert delete["deletes"] == [second.pk]
    assert delete["from"] == update["to"] + 1
    await socket.disconnect()


async def resume(user, query: str) -> tuple[list[dict], dict, list[dict]]:
    """Reconnect with a query string: (frames before history, history chunks, end marker)."""
    socket = await open_socket(user, query=query)
    await socket.connect(timeout=10)
    before = []
    while (frame := await receive_json(socket))["type"] not in {"history", "history_end"}:
        before.append(frame)
    chunks, end = ([frame], None) if frame["type"] == "history" else ([], frame)
    if end is None:
        more, end = await receive_until_end(socket)
        chunks += more
    await socket.disconnect()
    return before, chunks, end


async def test_reconnecting_with_a_position_replays_exactly_the_changes_after_it(team_user):
    kept, edited, deleted = await sync_to_async(records_make)(3)
    socket = await open_socket(team_user)
    _, end = await receive_history(socket)
    await socket.disconnect()
    # While the client is away: one edit, one delete, two new records.
    edited.tip = Decimal("1.00")
    await sync_to_async(record_update)(record=edited)
    await sync_to_async(records_delete)(queryset=SpendRecord.objects.filter(pk=deleted.pk))
    new = await sync_to_async(records_make)(2, seed=5)

    _, chunks, replay = await resume(team_user, f"epoch={end['epoch']}&position={end['position']}")

    assert replay["mode"] == "replay"
    assert sorted(ids_of(chunks)) == sorted([edited.pk] + [record.pk for record in new])
    assert [i for chunk in chunks for i in chunk.get("deletes", [])] == [deleted.pk]
    assert replay["position"] == new[-1].seq
    assert kept.pk not in ids_of(chunks)


@pytest.mark.parametrize(
    "query",
    [
        "epoch={epoch}&position=999999",  # from the future
        "epoch=another-database&position=1",
    ],
)
async def test_a_position_that_cannot_be_replayed_gets_the_full_history(team_user, query):
    created = await sync_to_async(records_make)(4)
    epoch = await sync_to_async(ChangeSequence.objects.values_list("epoch", flat=True).get)()

    before, chunks, end = await resume(team_user, query.format(epoch=epoch))

    assert end["mode"] == "full"
    assert ids_of(chunks) == [record.pk for record in created]
    assert [frame["type"] for frame in before] == ["hello"]


async def test_a_position_too_far_behind_gets_the_full_history(team_user, settings):
    settings.DASHBOARD_REPLAY_LIMIT = 2
    created = await sync_to_async(records_make)(4)
    epoch = await sync_to_async(ChangeSequence.objects.values_list("epoch", flat=True).get)()

    _, chunks, end = await resume(team_user, f"epoch={epoch}&position=0")

    assert end["mode"] == "full"
    assert ids_of(chunks) == [record.pk for record in created]


@pytest.mark.parametrize("position", ["abc", "-1", "1e3", "99999999999999999999999"])
async def test_a_garbage_position_gets_an_error_frame_then_the_full_history(team_user, position):
    created = await sync_to_async(records_make)(2)

    before, chunks, end = await resume(team_user, f"epoch=x&position={position}")

    assert [frame["type"] for frame in before] == ["hello", "error"]
    assert before[1]["code"] == "bad_position"
    assert end["mode"] == "full"
    assert ids_of(chunks) == [record.pk for record in created]


async def test_a_resync_frame_replays_what_the_client_missed(team_user):
    await sync_to_async(records_make)(2)
    socket = await open_socket(team_user)
    _, end = await receive_history(socket)
    # A change whose live message never reached this socket (as when Redis was down).
    missed = await sync_to_async(SpendRecord.objects.order_by("id").first)()
    missed.name = "Zed"
    await sync_to_async(transaction_without_broadcast)(missed)

    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    pong = await receive_json(socket)
    await socket.send_to(
        text_data=json.dumps({"type": "resync", "epoch": end["epoch"], "position": end["position"]})
    )
    chunks, replay = await receive_until_end(socket)

    assert pong == {"type": "pong", "v": 1, "position": end["position"] + 1}
    assert replay["mode"] == "replay" and replay["position"] == end["position"] + 1
    (chunk,) = chunks
    assert columns(chunk)["id"] == [missed.pk]
    assert columns(chunk)["name"] == ["Zed"]
    await socket.disconnect()


def transaction_without_broadcast(record: SpendRecord) -> None:
    """An update committed through the service while the channel layer is unreachable."""
    from django.test import override_settings

    unreachable = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=unreachable):
        record_update(record=record)


async def test_a_client_that_never_acknowledges_is_dropped_past_the_unacked_limit(
    team_user, settings
):
    settings.DASHBOARD_MAX_UNACKED_BYTES = 5_000  # a 100-record frame is about 3.5 kB
    socket = await open_socket(team_user)
    await receive_history(socket)

    for seed in range(4):
        await sync_to_async(records_make)(100, seed=seed)

    frames = [await receive_json(socket)]
    while frames[-1]["type"] == "changes":
        frames.append(await receive_json(socket))
    # Every byte counts (hello and history_end too): cut off within the first frames.
    assert 1 <= len(frames) - 1 <= 3
    assert frames[-1]["code"] == "too_slow"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4008}


async def test_a_client_that_acknowledges_keeps_receiving(team_user, settings):
    settings.DASHBOARD_MAX_UNACKED_BYTES = 5_000
    socket = await open_socket(team_user)
    await receive_history(socket)

    for seed in range(4):
        await sync_to_async(records_make)(100, seed=seed)
        frame = await receive_json(socket)
        assert frame["type"] == "changes"
        await socket.send_to(text_data=json.dumps({"type": "ping", "position": frame["to"]}))
        assert (await receive_json(socket))["type"] == "pong"

    await socket.disconnect()


async def test_a_flood_of_frames_is_rate_limited_then_closed(team_user, settings):
    settings.DASHBOARD_CLIENT_FRAMES_BURST = 3
    settings.DASHBOARD_CLIENT_FRAMES_PER_SECOND = 0.001
    socket = await open_socket(team_user)
    await receive_history(socket)

    answers = []
    for _ in range(3 + 10):
        await socket.send_to(text_data='{"type": "ping"}')
        answers.append((await receive_json(socket)).get("code", "pong"))

    assert answers == ["pong"] * 3 + ["rate_limited"] * 10
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4029}


async def test_repeated_bad_frames_close_the_socket(team_user):
    socket = await open_socket(team_user)
    await receive_history(socket)

    for _ in range(10):
        await socket.send_to(text_data="not json")
        assert (await receive_json(socket))["code"] == "bad_json"

    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4029}


async def test_logging_out_closes_open_sockets(team_user, settings):
    settings.DASHBOARD_ACCESS_CHECK_SECONDS = 0.1
    socket = await open_socket(team_user)
    await receive_history(socket)

    await sync_to_async(Session.objects.all().delete)()  # what logging out does to a session

    assert (await receive_json(socket))["code"] == "login_required"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


async def test_a_password_change_closes_open_sockets(team_user, settings):
    settings.DASHBOARD_ACCESS_CHECK_SECONDS = 0.1
    socket = await open_socket(team_user)
    await receive_history(socket)

    def password_change() -> None:  # the session's auth hash no longer matches
        team_user.set_password("another-password-entirely")
        team_user.save()

    await sync_to_async(password_change)()

    assert (await receive_json(socket))["code"] == "login_required"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


async def test_sessions_opened_together_are_re_checked_in_few_hops_within_the_interval(
    team_user, settings, monkeypatch
):
    # Each re-check hop goes through the process's one database thread, which the API's
    # writes and the histories use too: 100 sockets opened together re-checking one hop each
    # queued every request behind ~100 hops (the ingest p99). Now a tick checks the sessions
    # of the process many to a hop, and a few at most (dashboard.access.access_tick).
    interval = settings.DASHBOARD_ACCESS_CHECK_SECONDS = 4.0
    monkeypatch.setattr(access, "ACCESS_HOP_SESSIONS", 5)
    loop = asyncio.get_running_loop()
    sockets, opened = [], []
    for _ in range(12):  # a session each (open_socket logs in anew)
        sockets.append(socket := await open_socket(team_user))
        await receive_history(socket)
        opened.append(loop.time())
    hops, checks = STATE.access_hops, STATE.access_checks
    await sync_to_async(Session.objects.all().delete)()  # each socket closes at its re-check

    async def first_check(socket: WebsocketCommunicator, since: float) -> float:
        assert (await receive_json(socket))["code"] == "login_required"
        return loop.time() - since

    delays = await asyncio.gather(*map(first_check, sockets, opened))

    assert max(delays) <= interval + 2  # the backstop still re-checks within the interval
    hops, checks = STATE.access_hops - hops, STATE.access_checks - checks
    assert hops <= 6  # 3 hops of 5, 5, 2 sessions (a tick under way: 6), not 12
    assert checks <= 5 * hops
    for socket in sockets:
        await socket.disconnect()


async def test_a_failed_re_check_closes_nothing_and_the_next_tick_re_checks(team_user, settings):
    settings.DASHBOARD_ACCESS_CHECK_SECONDS = 0.1
    socket = await open_socket(team_user)
    await receive_history(socket)

    def sessions_table(old: str, new: str) -> None:  # the session table unreadable: hops fail
        with connections["default"].cursor() as cursor:
            cursor.execute(f"ALTER TABLE {old} RENAME TO {new}")

    await sync_to_async(sessions_table)("django_session", "django_session_away")
    try:
        hops = STATE.access_hops
        await asyncio.sleep(0.5)  # several failed ticks
        await socket.send_to(text_data='{"type": "ping"}')
        answer = await receive_json(socket)
        failed_hops = STATE.access_hops - hops
    finally:
        await sync_to_async(sessions_table)("django_session_away", "django_session")
    await sync_to_async(Session.objects.all().delete)()

    assert (answer["type"], failed_hops) == ("pong", 0)  # open, and no hop went through
    assert (await receive_json(socket))["code"] == "login_required"  # the ticker lives on
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4401}


async def test_leaving_the_team_closes_open_sockets(team_user, settings):
    settings.DASHBOARD_ACCESS_CHECK_SECONDS = 0.1
    socket = await open_socket(team_user)
    await receive_history(socket)

    await sync_to_async(team_user.groups.clear)()

    assert (await receive_json(socket))["code"] == "forbidden"
    assert await socket.receive_output(timeout=10) == {"type": "websocket.close", "code": 4403}


async def test_a_time_range_bounds_the_full_history(team_user):
    def old_and_new() -> list[SpendRecord]:
        old = spend_records_generate(rng=random.Random(1), count=3)
        for record in old:
            record.created -= timedelta(hours=2)
        records_create(records=old)
        return records_create(records=spend_records_generate(rng=random.Random(2), count=4))

    recent = await sync_to_async(old_and_new)()
    since = epoch_ms(timezone.now() - timedelta(hours=1))

    before, chunks, end = await resume(team_user, f"since={since}")

    assert ids_of(chunks) == [record.pk for record in recent]
    assert end["mode"] == "full" and end["count"] == 4
    assert [frame["type"] for frame in before] == ["hello"]


async def test_a_garbage_time_range_gets_an_error_frame_then_all_of_history(team_user):
    created = await sync_to_async(records_make)(2)

    before, chunks, _ = await resume(team_user, "since=yesterday")

    assert [frame.get("code") for frame in before] == [None, "bad_since"]
    assert ids_of(chunks) == [record.pk for record in created]


async def test_a_long_history_sends_the_older_records_summarised_after_the_latest(
    team_user, settings
):
    settings.DASHBOARD_HISTORY_RAW_LIMIT = 4
    created = await sync_to_async(records_make)(10)
    socket = await open_socket(team_user)

    chunks, end = await receive_history(socket)
    await socket.disconnect()

    assert [("summary" in chunk, chunk["mode"]) for chunk in chunks] == [
        (False, "full"),
        (True, "full"),
    ]
    summary = chunks[1]["summary"]
    assert sum(summary["columns"]["records"]) == 6
    assert sum(summary["columns"]["spent"]) == sum(int(r.spent * 100) for r in created[:6])
    assert ids_of(chunks) == [record.pk for record in created[6:]]
    assert end["summary"] == {"upto_id": created[5].pk, "bucket": summary["bucket"]}
    assert end["count"] == summary["count"] + 4


async def test_the_sockets_of_a_process_share_one_live_group_member(team_user):
    sockets = [await open_socket(team_user) for _ in range(3)]
    for socket in sockets:
        await receive_history(socket)
    layer = get_channel_layer()
    redis = layer.connection(layer.consistent_hash(SPEND_GROUP))

    members = await redis.zcard(layer._group_key(SPEND_GROUP))
    created = await sync_to_async(records_make)(2)

    assert members == 1
    for socket in sockets:
        assert columns(await receive_json(socket))["id"] == [record.pk for record in created]
        await socket.disconnect()


async def test_a_cancelled_socket_leaves_the_relay_and_stops_its_tasks(team_user):
    # What daphne does to an instance still busy 10 s after its client left.
    socket = await open_socket(team_user)
    await receive_history(socket)
    held = STATE.snapshot()

    socket.future.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await socket.future
    await asyncio.sleep(0)  # the access watch handles its cancellation
    after = STATE.snapshot()

    assert (held["open_sockets"], held["relay_members"], held["socket_tasks"]) == (1, 1, 1)
    assert (after["open_sockets"], after["relay_members"], after["socket_tasks"]) == (0, 0, 0)
    assert (held["access_tickers"], after["access_tickers"]) == (1, 0)
