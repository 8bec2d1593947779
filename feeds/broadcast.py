"""The doorbell: tell open dashboards, through the channel layer, that records were stored.

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
from redis.exceptions import RedisError

from feeds.encoding import MAX_RECORDS_PER_FRAME, record_row, records_frame
from feeds.models import SpendRecord

SPEND_GROUP = "spend"
RECORDS_EVENT = "spend.records"  # handled by the dashboard consumer's spend_records()
RECORDS_FRAME = "records"

logger = logging.getLogger(__name__)


@dataclass
class BroadcastStats:
    sent: int = 0
    failed: int = 0
    failing_since: int = 0  # failures in the current outage; 0 while broadcasting works


stats = BroadcastStats()


def records_event(*, records: Sequence[SpendRecord]) -> dict[str, object]:
    """One group message for a whole batch, its frames encoded once for every client.

    A batch bigger than MAX_RECORDS_PER_FRAME becomes several frames, keeping every
    websocket message far below the server's message size limit.
    """
    frames = []
    for start in range(0, len(records), MAX_RECORDS_PER_FRAME):
        part = records[start : start + MAX_RECORDS_PER_FRAME]
        ids = [record.pk for record in part]
        frames.append(
            {
                "text": records_frame(RECORDS_FRAME, [record_row(record) for record in part]),
                "first_id": min(ids),
                "last_id": max(ids),
            }
        )
    return {"type": RECORDS_EVENT, "frames": frames}


def records_broadcast(*, records: Sequence[SpendRecord]) -> bool:
    if not records:
        return True
    try:
        async_to_sync(get_channel_layer().group_send)(SPEND_GROUP, records_event(records=records))
    except (TimeoutError, OSError, RedisError) as error:
        stats.failed += 1
        stats.failing_since += 1
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
    return True
