"""The doorbell: tell open dashboards, through the channel layer, what records changed.

A change message says what changed, in a neutral form that msgpack carries as it is: the
created or updated records' values (integer units, feeds.units, one list per field) with their
positions, and the deleted records' ids with theirs. How a dashboard shows it on its sockets is
no concern of feeds: the dashboard encodes the frames once per process (dashboard.wire).

The database is the truth; a group message may be lost (Channels delivers at most once and
drops past a channel's capacity), so a failure here is reported and counted, never raised:
the records are already committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import Signal
from django.utils import timezone
from redis.exceptions import RedisError

from feeds.units import RECORD_FIELDS, epoch_ms, record_values

if TYPE_CHECKING:  # at run time no model: dashboard.wire imports this without a Django setup
    from feeds.models import SpendDeletion, SpendRecord

SPEND_GROUP = "spend"
CHANGES_EVENT = "spend.changes"  # the dashboard's relay encodes it (dashboard.wire)

logger = logging.getLogger(__name__)


@dataclass
class BroadcastStats:
    sent: int = 0
    failed: int = 0
    failing_since: int = 0  # failures in the current outage; 0 while broadcasting works


# A module global on purpose: the counters are the writing process's, for as long as it runs
# (generate_spend prints them; one outage is warned about once however many writes fail in
# it), and every write of the process, whichever code path calls feeds.services, shares them.
# Tests read differences, never reset it.
stats = BroadcastStats()
# Sent after every broadcast with `sent` (bool): how the metrics count failures without this
# app knowing about them (rtviz.metrics, connected by the dashboard app).
broadcast_finished = Signal()


def changes_message(
    *, upserts: Sequence[SpendRecord] = (), deletions: Sequence[SpendDeletion] = ()
) -> dict[str, Any]:
    """One committed transaction's changes as a channel-layer message."""
    message: dict[str, Any] = {"type": CHANGES_EVENT, "at": epoch_ms(timezone.now())}
    if upserts:
        rows = [record_values(record) for record in upserts]
        message["upserts"] = {
            "positions": [record.seq for record in upserts],
            "columns": dict(zip(RECORD_FIELDS, map(list, zip(*rows, strict=True)), strict=True)),
        }
    if deletions:
        message["deletions"] = {
            "positions": [deletion.seq for deletion in deletions],
            "ids": [deletion.record_id for deletion in deletions],
        }
    return message


def changes_broadcast(
    *, upserts: Sequence[SpendRecord] = (), deletions: Sequence[SpendDeletion] = ()
) -> bool:
    """One group message for one committed transaction (this runs on commit)."""
    if not upserts and not deletions:
        return True
    message = changes_message(upserts=upserts, deletions=deletions)
    try:
        async_to_sync(get_channel_layer().group_send)(SPEND_GROUP, message)
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
