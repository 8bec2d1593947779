from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from twisted.internet import tcp
from twisted.internet.asyncioreactor import AsyncioSelectorReactor
from twisted.internet.protocol import Protocol

from dashboard.daphne_send import (
    SERVER_SEND,
    daphne_socket,
    frame_prepared,
    server_send_keep,
    write_now,
)
from dashboard.wire import batch_columns
from harness.state import state_read
from tests.conftest import records_make
from tests.real_sockets import WAIT, cookie_of, socket_open, until_type


@pytest.mark.parametrize(
    ("size", "header"),
    [(125, b"\x81\x7d"), (126, b"\x81\x7e\x00\x7e"), (70_000, b"\x81\x7f" + (70_000).to_bytes(8))],
)
def test_a_prepared_frame_is_the_unmasked_text_frame_a_server_sends(size, header):
    text = "é" + "x" * (size - 2)  # UTF-8: two bytes, then one each

    assert frame_prepared(text).payloadHybi == header + text.encode()


async def test_the_server_send_is_kept_in_the_scope_for_the_inner_app():
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)
        await send({"type": "websocket.accept"})

    communicator = WebsocketCommunicator(server_send_keep(app), "/")
    await communicator.connect(timeout=5)
    await communicator.disconnect()

    assert callable(seen[SERVER_SEND])
    assert daphne_socket(seen) is None  # not daphne's: the socket sends through ASGI


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_thread_connections")
async def test_under_daphne_live_frames_arrive_as_the_text_frames_sent_through_asgi(
    server, team_user
):
    async with socket_open(server, await cookie_of(team_user)) as socket_:
        await until_type(socket_, "history_end")
        direct = (await asyncio.to_thread(state_read, server, timeout=WAIT))["daphne_sockets"]
        created = await sync_to_async(records_make)(3)
        message = await socket_.recv()

    frame = json.loads(message)
    assert direct == 1
    assert isinstance(message, str)  # a text frame, as through ASGI
    assert frame["type"] == "changes"
    assert batch_columns(frame["records"])["id"] == [record.pk for record in created]


async def test_frames_written_now_or_buffered_reach_the_socket_whole_and_in_order():
    # A real twisted TCP transport over a real socket whose buffers are small: write_now
    # sends what the socket takes at once, hands the rest to twisted's buffer, and writes
    # every later frame behind it until that buffer is empty again.
    listener = socket.create_server(("127.0.0.1", 0))
    reader = socket.create_connection(listener.getsockname())
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    accepted, address = listener.accept()
    accepted.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    accepted.setblocking(False)
    reactor = AsyncioSelectorReactor(asyncio.get_running_loop())
    transport = tcp.Server(accepted, Protocol(), address, None, 0, reactor)
    frames = [bytes([n]) * 20_000 for n in range(10)]
    for frame in frames[:5]:
        write_now(transport, frame)
    buffered = transport._tempDataLen + len(transport.dataBuffer) - transport.offset
    received = bytearray()
    reader.setblocking(False)
    # Read all the socket took: it has room again while twisted's buffer still waits (the
    # event loop, which would write that buffer, does not run meanwhile).
    deadline = time.monotonic() + WAIT
    while len(received) < len(b"".join(frames[:5])) - buffered and time.monotonic() < deadline:
        with contextlib.suppress(BlockingIOError):
            received += reader.recv(65536)
        time.sleep(0.001)
    for frame in frames[5:]:
        write_now(transport, frame)

    while len(received) < len(b"".join(frames)) and time.monotonic() < deadline:
        await asyncio.sleep(0.001)  # twisted writes its buffer as the socket drains
        with contextlib.suppress(BlockingIOError):
            received += reader.recv(1 << 20)
    transport.stopReading()
    transport.stopWriting()
    for open_socket in (accepted, reader, listener):
        open_socket.close()

    assert buffered  # the socket could not take the first frames all at once
    assert bytes(received) == b"".join(frames)
