"""Live frames written straight into daphne's websocket protocol, framed once per process.

Through ASGI, each socket-frame of a live change costs the same work for every socket, for
the same bytes: a message dict, Channels' session wrapper around `send` (which saves sessions
on HTTP responses only), daphne's reply coroutine and its checks, the text encoded to UTF-8,
and autobahn's framing — about half of the server's time per frame sent (docs/benchmarks.md).
Under daphne, the relay (dashboard.relay) instead frames each live frame once for the process
(`frame_prepared`: autobahn's PreparedMessage, its own API for sending one message on many
connections) and the relay's pass hands it to each idle socket's protocol (`DaphneSocket`),
with daphne's own checks kept: nothing is written for a connection daphne has seen go, and a
connection autobahn no longer holds open raises Disconnected, as a send through ASGI does.
The frame's bytes then go to the socket at once when twisted holds nothing unsent for it
(`write_now`), as asyncio's transports do: twisted's own write only buffers them and waits for
the socket to be reported writable, two epoll changes and a reactor turn per socket-frame, a
third of the server's time per frame (docs/benchmarks.md). Whatever the socket does not take
goes to twisted's buffer, and every later frame queues behind it until it is empty again.
Under any other server (Channels' test communicator, uvicorn), sockets send through ASGI.

The bytes on the wire are the same text frame either way: the page cannot tell them apart.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from autobahn.exception import Disconnected
from autobahn.websocket.protocol import PreparedMessage
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import tcp

# The scope key under which `server_send_keep` leaves the server's own `send`: the middleware
# inside it (Channels' sessions) wraps `send` in its own.
SERVER_SEND = "rtviz.server_send"


def server_send_keep(app: Any) -> Any:
    """ASGI wrapper, outermost: the server's `send` in the scope, for `daphne_socket`."""

    async def kept(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, SERVER_SEND: send}, receive, send)

    return kept


def frame_prepared(text: str) -> PreparedMessage:
    """`text` as the websocket text frame a server sends (unmasked), framed once."""
    return PreparedMessage(text.encode(), isBinary=False, applyMask=False, doNotCompress=False)


def live_prepared(message: dict[str, Any]) -> dict[str, Any]:
    """A live message (dashboard.wire.live_message) with each frame also framed, once."""
    if "frames" not in message:
        return message
    frames = [{**frame, "prepared": frame_prepared(frame["text"])} for frame in message["frames"]]
    return {**message, "frames": frames}


class DaphneSocket:
    """One socket's connection in daphne, for sending prepared frames to it."""

    def __init__(self, server: Server, protocol: WebSocketProtocol) -> None:
        self.server, self.protocol = server, protocol

    def send(self, prepared: PreparedMessage) -> None:
        # As daphne's Server.handle_reply: a send after the client left is dropped (the
        # socket's task learns of the leaving from daphne's disconnect message).
        connection = self.server.connections.get(self.protocol)
        if connection is None or connection.get("disconnected"):
            return
        # As autobahn's sendMessage (which daphne's serverSend calls).
        if self.protocol.state != WebSocketProtocol.STATE_OPEN:
            raise Disconnected("Attempt to send on a closed protocol")
        if self.protocol.send_queue or self.protocol._perMessageCompress is not None:
            self.protocol.sendPreparedMessage(prepared)
            return
        write_now(self.protocol.transport, prepared.payloadHybi)


def write_now(transport: Any, data: bytes) -> None:
    """Write `data` to the socket now when nothing waits in twisted's buffer; the rest, if
    any, through twisted. Twisted's own write only buffers, then registers for a writable
    event, sends on it, and unregisters: two epoll changes and a reactor turn per frame."""
    if (
        type(transport) is tcp.Server
        and not transport.TLS
        and transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
        and not transport._tempDataBuffer
        and transport.offset == len(transport.dataBuffer)
    ):
        try:
            sent = transport.socket.send(data)
        except OSError:  # full (EAGAIN), or gone: twisted's write finds out which
            sent = 0
        if sent == len(data):
            return
        data = data[sent:]
    transport.write(data)


def daphne_socket(scope: dict[str, Any]) -> DaphneSocket | None:
    """The socket's daphne connection when daphne serves it, else None (send through ASGI).

    daphne's websocket `send` is `functools.partial(server.handle_reply, protocol)`."""
    send = scope.get(SERVER_SEND)
    if not isinstance(send, partial) or len(send.args) != 1 or send.keywords:
        return None
    server, protocol = getattr(send.func, "__self__", None), send.args[0]
    if (
        isinstance(server, Server)
        and getattr(send.func, "__func__", None) is Server.handle_reply
        and isinstance(protocol, WebSocketProtocol)
    ):
        return DaphneSocket(server, protocol)
    return None
