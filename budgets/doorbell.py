"""Tell open dashboards that budgets or their spend changed: a doorbell through the live
group, carrying no data. Each server process reads the budgets once when it rings
(dashboard.budget_frames), so a lost ring is healed by the next, and frames never go stale
by arriving out of order."""

from __future__ import annotations

import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from redis.exceptions import RedisError

from feeds.broadcast import SPEND_GROUP

BUDGETS_EVENT = "budgets.changed"

logger = logging.getLogger(__name__)


def budgets_changed_ring() -> None:
    """Call it on commit. A failure is logged, never raised: the change is stored."""
    try:
        async_to_sync(get_channel_layer().group_send)(
            SPEND_GROUP, {"type": BUDGETS_EVENT, "token": uuid.uuid4().hex}
        )
    except (TimeoutError, OSError, RedisError) as error:
        logger.warning("Could not tell dashboards that budgets changed: %s", error)
