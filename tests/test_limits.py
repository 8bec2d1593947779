"""What one client may make a server process spend (dashboard.limits, dashboard.flow), against a
real daphne: sockets per user and per process, connects per user, resyncs, bytes in flight
(history as well as live) and acknowledgements."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import sync_to_async

from tests.conftest import records_make, user_make
from tests.real_sockets import (
    assert_released,
    cookie_of,
    released,
    socket_open,
    start,
    until_closed,
    until_type,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


async def opened(server, cookie: str, count: int) -> contextlib.AsyncExitStack:
    """`count` sockets, each live (its history ended), held open by the returned stack."""
    stack = contextlib.AsyncExitStack()
    for _ in range(count):
        socket_ = await stack.enter_async_context(socket_open(server, cookie))
        await until_type(socket_, "history_end")
    return stack


async def test_a_user_past_the_socket_cap_gets_too_many_sockets_4429(hooked, team_user):
    server = start(hooked, DASHBOARD_MAX_SOCKETS_PER_USER="2")
    cookie = await cookie_of(team_user)
    other = await cookie_of(await sync_to_async(user_make)("tina", team=True))
    async with await opened(server, cookie, 2):
        async with socket_open(server, cookie) as third:
            frames, code = await until_closed(third)
        async with await opened(server, other, 1):  # another person is not counted with them
            pass

    assert (code, frames[-1]["code"]) == (4429, "too_many_sockets")
    assert_released(await released(server))


async def test_a_process_past_its_socket_cap_refuses_everyone(hooked, team_user):
    server = start(hooked, DASHBOARD_MAX_SOCKETS="1")
    other = await cookie_of(await sync_to_async(user_make)("tina", team=True))
    first = await opened(server, await cookie_of(team_user), 1)
    async with first, socket_open(server, other) as second:
        frames, code = await until_closed(second)

    assert (code, frames[-1]["code"]) == (4429, "too_many_sockets")


async def test_connects_past_the_rate_get_too_many_connects_4429(hooked, team_user):
    server = start(hooked, DASHBOARD_CONNECTS_BURST="3", DASHBOARD_CONNECTS_PER_MINUTE="0.01")
    cookie = await cookie_of(team_user)
    for _ in range(3):  # connect and leave, three times: the burst
        async with await opened(server, cookie, 1):
            pass
    async with socket_open(server, cookie) as fourth:
        frames, code = await until_closed(fourth)

    assert (code, frames[-1]["code"]) == (4429, "too_many_connects")


def resync(end: dict) -> str:
    return json.dumps({"type": "resync", "epoch": "another", "position": end["position"]})


async def test_resyncs_past_their_budget_wait_coalesced_into_one(hooked, team_user):
    server = start(hooked, DASHBOARD_RESYNCS_BURST="2", DASHBOARD_RESYNCS_PER_MINUTE="0.01")
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        end = (await until_type(socket_, "history_end"))[-1]
        for _ in range(5):  # another epoch: a full history each, were they all served
            await socket_.send(resync(end))
        await socket_.send('{"type": "ping"}')
        answers = [frame["type"] for frame in await until_type(socket_, "pong")]

    assert answers.count("history_end") == 2  # the burst; the other three wait as one
    assert_released(await released(server))


async def test_history_bytes_count_against_the_unacked_window(hooked, team_user):
    # A client that never reads or acknowledges, asking for full histories: once the bytes
    # in flight pass the window it is dropped, live frames or not.
    await sync_to_async(records_make)(300)  # a full history of ~11 kB
    server = start(hooked, DASHBOARD_MAX_UNACKED_BYTES="30000", DASHBOARD_RESYNCS_BURST="5")
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        end = (await until_type(socket_, "history_end"))[-1]
        for _ in range(4):
            await socket_.send(resync(end))
        frames, code = await until_closed(socket_)

    assert (code, frames[-1]["code"]) == (4008, "too_slow")
    assert [frame["type"] for frame in frames].count("history_end") < 4
    assert_released(await released(server))


async def test_acknowledging_a_position_never_sent_gets_bad_ack_and_close_4029(hooked, team_user):
    server = start(hooked)
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        end = (await until_type(socket_, "history_end"))[-1]
        await socket_.send(json.dumps({"type": "ping", "position": end["position"]}))
        pong = json.loads(await asyncio.wait_for(socket_.recv(), timeout=20))
        await socket_.send(json.dumps({"type": "ping", "position": 2**63 - 1}))
        frames, code = await until_closed(socket_)

    assert pong["type"] == "pong"
    assert (code, frames[-1]["code"]) == (4029, "bad_ack")
    assert_released(await released(server))
