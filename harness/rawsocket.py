"""A websocket opened by hand on a plain TCP socket, for clients no library would be: one that
stops reading, or drops the connection without a closing handshake."""

from __future__ import annotations

import base64
import os
import socket


def raw_websocket(
    port: int, *, cookie: str | None, path: str = "/ws/dashboard/", rcvbuf: int | None = None
) -> socket.socket:
    """A connected TCP socket that has sent the upgrade request to 127.0.0.1:`port` (its
    Origin the server's own); the caller reads the answer and the frames raw."""
    raw = socket.create_connection(("127.0.0.1", port))
    if rcvbuf:  # a small receive buffer: a client that stops reading fills it sooner
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    key = base64.b64encode(os.urandom(16)).decode()
    cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n{cookie_line}\r\n"
        ).encode()
    )
    return raw


def read_until(raw: socket.socket, marker: bytes, *, timeout: float) -> bytes:
    """Read until `marker` has arrived (e.g. b'"history_end"'); what was read."""
    raw.settimeout(timeout)
    received = b""
    while marker not in received:
        chunk = raw.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before {marker!r}")
        received += chunk
    return received
