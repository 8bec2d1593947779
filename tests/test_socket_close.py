"""Every way a dashboard socket ends, against a real daphne process: the close code the client
receives, and that the server holds nothing for the socket afterwards (no relay member, queue
or task), read from its per-process state (dashboard.state) through the test-only view."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from websockets.exceptions import ConnectionClosed

from harness.rawsocket import raw_websocket, read_until
from harness.redis import free_port, redis_start
from harness.state import state_read
from tests.conftest import Server, records_make, user_make
from tests.real_sockets import (
    WAIT,
    assert_released,
    cookie_of,
    released,
    socket_open,
    sockets_live,
    start,
    until_closed,
    until_type,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


async def test_login_required_closes_4401_and_holds_nothing(server):
    async with socket_open(server) as socket_:
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4401, "login_required")
    assert_released(await released(server))


async def test_forbidden_closes_4403_and_holds_nothing(server, outsider):
    async with socket_open(server, await cookie_of(outsider)) as socket_:
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4403, "forbidden")
    assert_released(await released(server))


async def test_too_slow_closes_4008_and_holds_nothing(hooked, team_user):
    server = start(hooked, DASHBOARD_MAX_UNACKED_BYTES="5000")  # a 100-record frame: ~3.5 kB
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        for seed in range(4):  # it reads, but never acknowledges with a ping
            await sync_to_async(records_make)(100, seed=seed)
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4008, "too_slow")
    assert_released(await released(server))


async def test_a_flood_of_frames_closes_4029_and_holds_nothing(hooked, team_user):
    # A budget that does not refill while the test runs, however slowly the server reads.
    server = start(
        hooked, DASHBOARD_CLIENT_FRAMES_BURST="3", DASHBOARD_CLIENT_FRAMES_PER_SECOND="0.001"
    )
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        for _ in range(60):  # a burst of 3 is allowed, then 10 refusals close it
            try:
                await socket_.send('{"type": "ping"}')
            except ConnectionClosed:
                break
        frames, code = await until_closed(socket_)

    assert code == 4029
    assert frames[-1]["code"] == "rate_limited"
    assert_released(await released(server))


async def test_repeated_bad_frames_close_4029_and_hold_nothing(server, team_user):
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        for _ in range(10):
            await socket_.send("not json")
        frames, code = await until_closed(socket_)

    assert code == 4029
    assert [frame["code"] for frame in frames] == ["bad_json"] * 10
    assert_released(await released(server))


async def test_a_client_frame_over_the_frame_limit_is_refused_unread(server, team_user):
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        await socket_.send("x" * 65536)
        frames, code = await until_closed(socket_)

    assert code in (1006, 1009)  # autobahn drops it, from the frame header alone
    assert frames == []
    assert_released(await released(server))


async def test_a_channel_layer_failure_closes_4503_and_holds_nothing(hooked, team_user):
    redis, redis_url = redis_start()
    try:
        server = start(hooked, REDIS_URL=redis_url)
        async with socket_open(server, await cookie_of(team_user)) as socket_:
            await until_type(socket_, "history_end")
            redis.terminate()
            redis.wait(timeout=WAIT)
            _, code = await until_closed(socket_)
    finally:
        if redis.poll() is None:
            redis.terminate()
            redis.wait(timeout=WAIT)

    assert code == 4503
    assert_released(await released(server))


async def test_a_relay_join_failure_closes_4503_and_starts_no_task(hooked, team_user):
    server = start(hooked, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nobody there
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        _, code = await until_closed(socket_)

    assert code == 4503
    assert_released(await released(server))


def http_logout(server: Server, cookie: str) -> None:
    """Log out as a browser does: the page's form, with its CSRF token, posted to daphne."""
    page = urllib.request.Request(f"{server.url}/", headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(page, timeout=WAIT) as answer:  # noqa: S310 - our own server
        html = answer.read().decode()
        csrf_cookie = re.search(r"csrftoken=([^;]+)", answer.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    logout = urllib.request.Request(  # noqa: S310 - our own server
        f"{server.url}/accounts/logout/",
        data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
        headers={"Cookie": f"{cookie}; csrftoken={csrf_cookie}", "Origin": server.url},
    )
    with urllib.request.urlopen(logout, timeout=WAIT):  # noqa: S310 - our own server
        pass


async def test_logging_out_closes_the_socket_4401_at_once(hooked, team_user, static_root):
    # The periodic re-check is an hour away: only the logout's own message can close it.
    server = start(
        hooked, DASHBOARD_ACCESS_CHECK_SECONDS="3600", SECURE_COOKIES="0", STATIC_ROOT=static_root
    )
    cookie = await cookie_of(team_user)
    async with socket_open(server, cookie) as socket_:
        await until_type(socket_, "history_end")
        await asyncio.to_thread(http_logout, server, cookie)
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4401, "login_required")
    assert_released(await released(server))


async def test_logging_out_closes_every_socket_of_the_session_4401_at_once(
    hooked, team_user, static_root
):
    # The sockets of a session share one periodic re-check (dashboard.access.SessionWatch);
    # the logout's own message still reaches each of them.
    server = start(
        hooked, DASHBOARD_ACCESS_CHECK_SECONDS="3600", SECURE_COOKIES="0", STATIC_ROOT=static_root
    )
    cookie = await cookie_of(team_user)
    async with sockets_live(server, cookie, cookie) as (first, second):
        watches = (await asyncio.to_thread(state_read, server, timeout=WAIT))["access_watches"]
        await asyncio.to_thread(http_logout, server, cookie)
        closed = [await until_closed(socket_) for socket_ in (first, second)]

    assert watches == 1
    assert [(code, frames[-1]["code"]) for frames, code in closed] == [(4401, "login_required")] * 2
    assert_released(await released(server))


async def test_the_shared_re_check_closes_the_sockets_of_its_session_only(hooked, team_user):
    server = start(hooked, DASHBOARD_ACCESS_CHECK_SECONDS="0.5")
    cookie, other_cookie = await cookie_of(team_user), await cookie_of(team_user)
    async with sockets_live(server, cookie, cookie, other_cookie) as (first, second, other):
        watches = (await asyncio.to_thread(state_read, server, timeout=WAIT))["access_watches"]
        session_key = cookie.partition("=")[2]
        await sync_to_async(Session.objects.filter(session_key=session_key).delete)()
        closed = [await until_closed(socket_) for socket_ in (first, second)]
        await asyncio.sleep(1.5)  # three re-checks of the other session: it stays open
        await other.send('{"type": "ping"}')
        answer = json.loads(await asyncio.wait_for(other.recv(), timeout=WAIT))

    assert watches == 2  # one per session, not one per socket
    assert [(code, frames[-1]["code"]) for frames, code in closed] == [(4401, "login_required")] * 2
    assert answer["type"] == "pong"
    assert_released(await released(server))


async def test_one_database_hop_re_checks_every_session_and_closes_the_revoked_ones(
    hooked, team_user
):
    # A process re-checks its sessions many to a database thread hop (dashboard.access.
    # access_tick), not one hop per session: with 100 sessions the hops, each opening and
    # closing a connection, were a third of the process's CPU (docs/benchmarks.md).
    server = start(hooked, DASHBOARD_ACCESS_CHECK_SECONDS="0.5")
    member = await sync_to_async(user_make)("mia", team=True)
    logged_out, left, stays = (
        await cookie_of(team_user),
        await cookie_of(member),
        await cookie_of(team_user),
    )
    async with sockets_live(server, logged_out, left, stays) as (first, second, third):
        before = await asyncio.to_thread(state_read, server, timeout=WAIT)
        await asyncio.sleep(1.6)  # three ticks or so, every session open all along
        after = await asyncio.to_thread(state_read, server, timeout=WAIT)

        # Neither sends access.changed: only the re-check can close these sockets.
        session_key = logged_out.partition("=")[2]
        await sync_to_async(Session.objects.filter(session_key=session_key).delete)()
        memberships = member.groups.through.objects.filter(user_id=member.pk)
        await sync_to_async(memberships.delete)()
        closed = [await until_closed(socket_) for socket_ in (first, second)]
        await asyncio.sleep(1.5)  # three more re-checks of the third session: it stays open
        await third.send('{"type": "ping"}')
        answer = json.loads(await asyncio.wait_for(third.recv(), timeout=WAIT))

    hops = after["access_hops"] - before["access_hops"]
    checks = after["access_checks"] - before["access_checks"]
    assert hops >= 2
    assert checks == 3 * hops  # every session in every hop
    assert [(code, frames[-1]["code"]) for frames, code in closed] == [
        (4401, "login_required"),
        (4403, "forbidden"),
    ]
    assert answer["type"] == "pong"
    assert_released(await released(server))


async def test_leaving_the_team_closes_the_socket_4403_at_once(hooked, team_user):
    server = start(hooked, DASHBOARD_ACCESS_CHECK_SECONDS="3600")
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        await sync_to_async(team_user.groups.clear)()
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4403, "forbidden")
    assert_released(await released(server))


async def test_an_abrupt_tcp_close_holds_nothing(server, team_user):
    cookie = await cookie_of(team_user)
    raw = await asyncio.to_thread(raw_websocket, server.port, cookie=cookie)
    await asyncio.to_thread(read_until, raw, b'"history_end"', timeout=WAIT)
    raw.close()  # no close frame

    assert_released(await released(server))


async def test_a_time_range_past_year_9999_gets_an_error_frame_not_a_crash(server, team_user):
    await sync_to_async(records_make)(2)
    async with socket_open(server, await cookie_of(team_user), "since=999999999999999") as socket_:
        frames = await until_type(socket_, "history_end")

    assert [frame.get("code") for frame in frames[:2]] == [None, "bad_since"]
    assert frames[-1]["count"] == 2
    assert_released(await released(server))
