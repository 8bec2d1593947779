"""The doorbell: tell open dashboards, through the channel layer, that records changed.

The database is the truth; a group message may be lost (Channels delivers at most once and
drops past a channel's capacity), so a failure here is reported and counted, never raised:
the records are already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import Signal
from django.utils import timezone
from redis.exceptions import RedisError

from feeds.encoding import MAX_RECORDS_PER_FRAME, batch_encode, epoch_ms, frame_text, record_row
from feeds.models import SpendDeletion, SpendRecord

SPEND_GROUP = "spend"
CHANGES_EVENT = "spend.changes"  # handled by the dashboard consumer's spend_changes()
CHANGES_FRAME = "changes"

logger = logging.getLogger(__name__)


@dataclass
class BroadcastStats:
    sent: int = 0
    failed: int = 0
    failing_since: int = 0  # failures in the current outage; 0 while broadcasting works


stats = BroadcastStats()
# Sent after every broadcast with `sent` (bool): how the metrics count failures without this
# app knowing about them (rtviz.metrics, connected by the dashboard app).
broadcast_finished = Signal()


def changes_frames(
    *, upserts: Sequence[SpendRecord] = (), deletions: Sequence[SpendDeletion] = ()
) -> list[dict[str, object]]:
    """The live frames for one transaction's changes, each with its range of positions.

    More than MAX_RECORDS_PER_FRAME changes become several frames, keeping every websocket
    message far below the server's message size limit.
    """
    frames = []
    for start in range(0, len(upserts), MAX_RECORDS_PER_FRAME):
        part = upserts[start : start + MAX_RECORDS_PER_FRAME]
        positions = [record.seq for record in part]
        batch = batch_encode([record_row(record) for record in part])
        frames.append(changes_frame(positions, records=batch))
    for start in range(0, len(deletions), MAX_RECORDS_PER_FRAME):
        part = deletions[start : start + MAX_RECORDS_PER_FRAME]
        positions = [deletion.seq for deletion in part]
        frames.append(changes_frame(positions, deletes=[d.record_id for d in part]))
    return frames


def changes_frame(positions: Sequence[int], **changes: object) -> dict[str, object]:
    first, last = min(positions), max(positions)
    # `at`: when the changes committed (this runs on commit), in epoch milliseconds.
    committed = epoch_ms(timezone.now())
    text = frame_text(CHANGES_FRAME, **{"from": first, "to": last}, at=committed, **changes)
    return {"text": text, "from": first, "to": last}


def changes_broadcast(
    *, upserts: Sequence[SpendRecord] = (), deletions: Sequence[SpendDeletion] = ()
) -> bool:
    """One group message for one committed transaction, its frames encoded once for all."""
    frames = changes_frames(upserts=upserts, deletions=deletions)
    if not frames:
        return True
    try:
        async_to_sync(get_channel_layer().group_send)(
            SPEND_GROUP, {"type": CHANGES_EVENT, "frames": frames}
        )
    except (TimeoutError, OSError, RedisError) as error:
        stats.failed += 1
        stats.failing_since += 1
        broadcast_finished.send(sender=None, sent=False)
        if stats.failing_since == 1:  # once per outage, not once per batch
            logger.warning(
                "Broadcasting failed (%s); records are still stored, retrying with each batch.",
                error,
            )
        return False
    if stats.failing_since:
        logger.warning("Broadcasting resumed after %d failed batches.", stats.failing_since)
        stats.failing_since = 0
    stats.sent += 1
    broadcast_finished.send(sender=None, sent=True)
    return True
