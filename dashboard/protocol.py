"""The client side of the wire protocol: strict parsing of what a browser may send.

docs/protocol.md describes every frame. Anything else is answered with an error frame.
"""

from __future__ import annotations

import json
from typing import Any

from feeds.encoding import PROTOCOL_VERSION, frame_text

MAX_CLIENT_FRAME_CHARS = 4096
CLIENT_FRAME_KEYS = {"ping": {"type", "v"}}


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def frame(self) -> str:
        return error_frame(self.code, self.message)


def error_frame(code: str, message: str) -> str:
    return frame_text("error", code=code, message=message)


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
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError("bad_frame", "A frame is a JSON object with a string 'type'.")
    allowed = CLIENT_FRAME_KEYS.get(frame["type"])
    if allowed is None:
        raise ProtocolError("unknown_type", f"Unknown frame type {frame['type'][:40]!r}.")
    version = frame.get("v", PROTOCOL_VERSION)
    if type(version) is not int or version != PROTOCOL_VERSION:
        raise ProtocolError(
            "bad_version", f"This server speaks protocol version {PROTOCOL_VERSION}."
        )
    unknown = set(frame) - allowed
    if unknown:
        raise ProtocolError("bad_field", f"Unexpected fields: {', '.join(sorted(unknown))[:100]}.")
    return frame
