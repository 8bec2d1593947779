"""The wire protocol's server side: every frame the server sends, its shape and its encoding.

docs/protocol.md describes them; static/dashboard/js/wire.js decodes them. Record batches are
columnar: one array per field, names and pay types dictionary-coded, money in integer cents and
times in integer epoch milliseconds (feeds.units), ids and creation times as differences from
the previous record's and the update time as its difference from the creation time — mostly
one or two digits instead of up to thirteen (62 bytes a record became 36).

The page takes the constants it shares with the server (the time chart's bucket sizes, the
amount bins, the close codes) from here: `page_constants()`, in the page and in `hello`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from itertools import accumulate, pairwise
from typing import TYPE_CHECKING, Any

from feeds.broadcast import CHANGES_EVENT
from feeds.units import AMOUNT_BIN_DOLLARS, BUCKETS_MS, RECORD_FIELDS, TIME_BUCKETS

if TYPE_CHECKING:  # the bench's clients import this module without a Django setup
    from feeds.selectors import SyncPoint

PROTOCOL_VERSION = 1
# About 30 bytes a record on the wire: 5,000 records make ~150 kB, well below the 1 MiB
# websocket message limit (settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE), which applies to
# what the server sends as well as to what it receives.
MAX_RECORDS_PER_FRAME = 5000
DICTIONARY_FIELDS = frozenset({"name", "pay_type"})

HELLO_FRAME = "hello"
HISTORY_FRAME = "history"
HISTORY_END_FRAME = "history_end"
CHANGES_FRAME = "changes"
PONG_FRAME = "pong"
ERROR_FRAME = "error"

# Close codes: daphne lets an application send only 1000 and 3000-4999 (else it answers 1011).
CLOSE_LOGIN_REQUIRED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_SLOW = 4008
CLOSE_CHANNEL_LAYER_DOWN = 4503
CLOSE_TOO_MANY = 4429  # too many sockets or connects (as HTTP's 429)
CLOSE_POLICY = 4029  # a flood of frames, bad frames, a forged acknowledgement
CLOSE_INTERNAL_ERROR = 4500  # an unexpected error in the server (never 1011: daphne's own)
CLOSE_CODES = {  # what the page is told, in hello
    "login_required": CLOSE_LOGIN_REQUIRED,
    "forbidden": CLOSE_FORBIDDEN,
    "too_slow": CLOSE_TOO_SLOW,
    "channel_layer_down": CLOSE_CHANNEL_LAYER_DOWN,
    "too_many": CLOSE_TOO_MANY,
    "policy": CLOSE_POLICY,
    "internal_error": CLOSE_INTERNAL_ERROR,
}

Columns = dict[str, list[Any]]
Frames = list[tuple[str, int]]  # (frame text, items in it)


def frame_text(frame_type: str, **payload: Any) -> str:
    """A server frame: JSON text with its type and the protocol version."""
    return json.dumps({"type": frame_type, "v": PROTOCOL_VERSION, **payload}, separators=(",", ":"))


def page_constants() -> dict[str, Any]:
    """What the page shares with the server: in `hello`, and in the page for its first draw."""
    return {
        "protocol": PROTOCOL_VERSION,
        "fields": RECORD_FIELDS,
        "buckets_ms": BUCKETS_MS,
        "time_buckets": TIME_BUCKETS,
        "amount_bin_dollars": AMOUNT_BIN_DOLLARS,
        "close": CLOSE_CODES,
    }


def page_constants_json() -> str:
    return json.dumps(page_constants(), separators=(",", ":"))


def hello_frame(*, user: str) -> str:
    return frame_text(HELLO_FRAME, user=user, constants=page_constants())


def pong_frame(*, position: int) -> str:
    return frame_text(PONG_FRAME, position=position)


def error_frame(code: str, message: str) -> str:
    return frame_text(ERROR_FRAME, code=code, message=message)


# Columnar batches


def dictionary_code(values: Sequence[str]) -> tuple[list[str], list[int]]:
    index: dict[str, int] = {}
    codes = [index.setdefault(value, len(index)) for value in values]
    return list(index), codes


def deltas(values: Sequence[int]) -> list[int]:
    return list(values[:1]) + [later - earlier for earlier, later in pairwise(values)]


def running_sums(values: Sequence[int]) -> list[int]:
    return list(accumulate(values))


def rows_columns(rows: Sequence[Sequence[Any]], fields: Sequence[str]) -> Columns:
    """Rows of values in `fields` order as one list per field."""
    transposed = zip(*rows, strict=True) if rows else ([] for _ in fields)
    return {field: list(values) for field, values in zip(fields, transposed, strict=True)}


def batch_encode(columns: Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """A columnar batch of records, from their values in integer units (feeds.units)."""
    encoded: Columns = {}
    dictionaries: dict[str, list[str]] = {}
    for field in RECORD_FIELDS:
        if field in DICTIONARY_FIELDS:
            dictionaries[field], encoded[field] = dictionary_code(columns[field])
        else:
            encoded[field] = list(columns[field])
    encoded["updated"] = [
        u - c for u, c in zip(encoded["updated"], encoded["created"], strict=True)
    ]
    encoded["id"], encoded["created"] = deltas(encoded["id"]), deltas(encoded["created"])
    return {"count": len(encoded["id"]), "columns": encoded, "dictionaries": dictionaries}


def batch_columns(batch: Mapping[str, Any]) -> Columns:
    """A batch's columns as values again (ids, times, names): what the page decodes."""
    columns = dict(batch["columns"])
    columns["id"], columns["created"] = (
        running_sums(columns["id"]),
        running_sums(columns["created"]),
    )
    columns["updated"] = [
        u + c for u, c in zip(columns["updated"], columns["created"], strict=True)
    ]
    for field, dictionary in batch["dictionaries"].items():
        columns[field] = [dictionary[code] for code in columns[field]]
    return columns


# History


def history_records_frame(rows: Sequence[Sequence[Any]], *, mode: str) -> str:
    """A history frame of records: rows of their values in RECORD_FIELDS order."""
    return frame_text(
        HISTORY_FRAME, mode=mode, records=batch_encode(rows_columns(rows, RECORD_FIELDS))
    )


def history_deletes_frame(record_ids: list[int]) -> str:
    return frame_text(HISTORY_FRAME, mode="replay", deletes=record_ids)


SUMMARY_FIELDS = ("created", "name", "year", "pay_type", "amount", "spent", "records")


def summary_frames(rows: Sequence[Sequence[Any]], *, bucket_ms: int) -> Frames:
    """Summary rows (bucket start, name, year, pay type, amount bin, cents, records) as
    history frames."""
    frames = []
    for start in range(0, len(rows), MAX_RECORDS_PER_FRAME):
        chunk = rows[start : start + MAX_RECORDS_PER_FRAME]
        batch = summary_batch(chunk, bucket_ms=bucket_ms)
        frames.append((frame_text(HISTORY_FRAME, mode="full", summary=batch), len(chunk)))
    return frames


def summary_batch(rows: Sequence[Sequence[Any]], *, bucket_ms: int) -> dict[str, Any]:
    """Columnar, like a record batch: buckets as differences, names and pay types coded."""
    columns = rows_columns(rows, SUMMARY_FIELDS)
    dictionaries: dict[str, list[str]] = {}
    for field in DICTIONARY_FIELDS:
        dictionaries[field], columns[field] = dictionary_code(columns[field])
    columns["created"] = deltas(columns["created"])
    return {
        "count": len(rows),
        "bucket": bucket_ms,
        "columns": columns,
        "dictionaries": dictionaries,
    }


def history_end_frame(
    *, count: int, point: SyncPoint, replayed: bool, summary: dict[str, int] | None = None
) -> str:
    extra = {"summary": summary} if summary else {}
    return frame_text(
        HISTORY_END_FRAME,
        count=count,
        position=point.position,
        epoch=point.epoch,
        mode="replay" if replayed else "full",
        **extra,
    )


# Live


def changes_frames(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A change message (feeds.broadcast) as the live frames every socket of the process
    sends, each with its range of positions. More than MAX_RECORDS_PER_FRAME changes become
    several frames, keeping every websocket message far below the size limit."""
    frames = []
    if upserts := message.get("upserts"):
        positions, columns = upserts["positions"], upserts["columns"]
        for start in range(0, len(positions), MAX_RECORDS_PER_FRAME):
            part = slice(start, start + MAX_RECORDS_PER_FRAME)
            batch = batch_encode({field: values[part] for field, values in columns.items()})
            frames.append(changes_frame(positions[part], at=message["at"], records=batch))
    if deletions := message.get("deletions"):
        positions, ids = deletions["positions"], deletions["ids"]
        for start in range(0, len(positions), MAX_RECORDS_PER_FRAME):
            part = slice(start, start + MAX_RECORDS_PER_FRAME)
            frames.append(changes_frame(positions[part], at=message["at"], deletes=ids[part]))
    return frames


def changes_frame(positions: Sequence[int], *, at: int, **changes: Any) -> dict[str, Any]:
    first, last = min(positions), max(positions)
    # `at`: when the changes committed, in epoch milliseconds.
    text = frame_text(CHANGES_FRAME, **{"from": first, "to": last}, at=at, **changes)
    return {"text": text, "from": first, "to": last}


def live_message(message: dict[str, Any]) -> dict[str, Any]:
    """A channel-layer message as the sockets take it: a change message's frames encoded once
    for all of them (dashboard.relay), anything else as it is."""
    if message.get("type") != CHANGES_EVENT or "frames" in message:
        return message
    return {"type": CHANGES_EVENT, "frames": changes_frames(message)}
