"""Bringing a socket up to the committed end of the change sequence: a replay of the changes
after the client's position when that is possible, the full history otherwise (its latest
records whole, the rest summarised), then history_end; and the sync point pongs report."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from channels.db import database_sync_to_async

from dashboard.history import history_stream, replay_after
from dashboard.state import STATE
from dashboard.summaries import summary_history
from dashboard.wire import history_end_frame
from feeds.selectors import SyncPoint, sync_point


async def sync_frames(
    *, since_ms: int, epoch: str | None, position: int | None, span_ms: int = 0
) -> AsyncIterator[tuple[str, int]]:
    """Each frame of the sync and the position it brings the client to (history_end last).
    Read after the socket joined the live group: live changes past it queue meanwhile."""
    point = await database_sync_to_async(sync_point)()
    replay_from = replay_after(point, epoch=epoch, position=position)
    summary, summary_frames = None, []
    if replay_from is None:  # a long history: the latest records whole, the rest summarised
        summary_read = database_sync_to_async(
            summary_history, thread_sensitive=False, executor=STATE.summaries_thread
        )
        point, summary, summary_frames = await summary_read(since_ms=since_ms, span_ms=span_ms)
    count = 0
    stream = history_stream(
        point=point,
        replay_from=replay_from,
        since_ms=since_ms,
        after_id=summary.upto_id if summary else 0,
    )
    async for text, chunk_count in stream:
        yield text, point.position
        count += chunk_count
    for text, rows in summary_frames:
        yield text, point.position
        count += rows
    end = history_end_frame(
        count=count,
        point=point,
        replayed=replay_from is not None,
        summary=summary.end() if summary else None,
    )
    yield end, point.position


async def recent_sync_point(max_age: float = 1.0) -> SyncPoint:
    """The sync point as read at most `max_age` seconds ago, shared by every socket of this
    process: for pongs, which only help a page notice changes it missed. A history or a
    replay must read a fresh one (after joining the group), never this."""
    now = time.monotonic()
    if STATE.recent_point is None or now - STATE.recent_point[0] > max_age:
        STATE.recent_point = (now, await database_sync_to_async(sync_point)())
    return STATE.recent_point[1]
