"""The client side of the wire protocol: strict parsing of what a browser may send (what the
server sends is dashboard.wire's).

docs/protocol.md describes every frame. Anything else is answered with an error frame.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from dashboard.wire import PROTOCOL_VERSION, error_frame

MAX_CLIENT_FRAME_CHARS = 4096
MAX_POSITION = 2**63 - 1
MAX_EPOCH_CHARS = 64
MAX_SINCE_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: Python's datetimes end there


def is_position(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_POSITION


def is_epoch(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_EPOCH_CHARS


def is_optional_position(value: Any) -> bool:
    return value is None or is_position(value)


# Each client frame type and its fields, with their checks ("v" is optional everywhere).
# A ping carries the position the client has applied: the server's acknowledgement.
CLIENT_FRAMES: dict[str, dict[str, Callable[[Any], bool]]] = {
    "ping": {"position": is_optional_position},
    "resync": {"position": is_position, "epoch": is_epoch},
}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def frame(self) -> str:
        return error_frame(self.code, self.message)


def client_frame_parse(text: str | None) -> dict[str, Any]:
    if text is None:
        raise ProtocolError("binary_frame", "Send JSON text frames, not binary ones.")
    if len(text) > MAX_CLIENT_FRAME_CHARS:
        raise ProtocolError(
            "frame_too_large", f"Frames are limited to {MAX_CLIENT_FRAME_CHARS} characters."
        )
    try:
        frame = json.loads(text)
    except ValueError:
        raise ProtocolError("bad_json", "The frame is not valid JSON.") from None
    except RecursionError:
        raise ProtocolError("bad_json", "The frame is nested too deeply.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError("bad_frame", "A frame is a JSON object with a string 'type'.")
    fields = CLIENT_FRAMES.get(frame["type"])
    if fields is None:
        raise ProtocolError("unknown_type", f"Unknown frame type {frame['type'][:40]!r}.")
    version = frame.get("v", PROTOCOL_VERSION)
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError(
            "bad_version", f"This server speaks protocol version {PROTOCOL_VERSION}."
        )
    unknown = set(frame) - set(fields) - {"type", "v"}
    if unknown:
        raise ProtocolError("bad_field", f"Unexpected fields: {', '.join(sorted(unknown))[:100]}.")
    for name, valid in fields.items():
        if not valid(frame.get(name)):
            raise ProtocolError("bad_field", f"'{name}' is missing or invalid.")
    return frame


def resume_parse(query_string: bytes) -> tuple[str | None, int | None]:
    """The (epoch, position) a reconnecting client sends in the socket URL, or (None, None)."""
    query = parse_qs(query_string.decode("latin-1"))
    if "position" not in query and "epoch" not in query:
        return None, None
    epoch, position = query.get("epoch", [""])[0], query.get("position", [""])[0]
    if not (position.isascii() and position.isdigit() and len(position) <= 19):
        raise ProtocolError("bad_position", "The position to resume from must be a whole number.")
    if not is_epoch(epoch) or not is_position(int(position)):
        raise ProtocolError("bad_position", "The position to resume from is out of range.")
    return epoch, int(position)


def since_parse(query_string: bytes) -> int:
    """The start of the page's time range, in epoch milliseconds (0: all time): a full history
    holds only the records created since then."""
    since = parse_qs(query_string.decode("latin-1")).get("since", ["0"])[0]
    if not (since.isascii() and since.isdigit() and len(since) <= 15):
        raise ProtocolError("bad_since", "The time range's start must be epoch milliseconds.")
    if int(since) > MAX_SINCE_MS:
        raise ProtocolError("bad_since", "The time range's start is past the year 9999.")
    return int(since)


def span_parse(query_string: bytes) -> int:
    """How long a span the page's time chart shows, in milliseconds (0: all since `since`):
    the page loads twice its range, to compare with the period before, and a summarised
    history is bucketed for the span shown."""
    span = parse_qs(query_string.decode("latin-1")).get("span", ["0"])[0]
    if not (span.isascii() and span.isdigit() and len(span) <= 15):
        raise ProtocolError("bad_span", "The time range's span must be milliseconds.")
    return int(span)
