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
        self.protocol.sendPreparedMessage(prepared)


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
