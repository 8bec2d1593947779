"""The `budgets` frame: every budget in its current period, with its spend, and the latest
alerts (docs/protocol.md). Read and encoded once per process, whatever the number of its
sockets, for each broadcast of changed records (their spend moved) and each ring of the
budgets doorbell (budgets.doorbell: a budget changed). After changed records, only when what
the panel shows moved: a write outside every budget's scope and period sends no frame."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from budgets.doorbell import BUDGETS_EVENT
from budgets.models import AlertEvent, Budget
from budgets.selectors import BudgetState, alerts_recent, budget_states
from dashboard.state import STATE
from dashboard.wire import frame_text
from feeds.units import cents, epoch_ms

__all__ = ["BUDGETS_EVENT", "budgets_frame_for", "budgets_frame_now"]

BUDGETS_FRAME = "budgets"
RINGS_KEPT = 32  # frames of recent rings kept, for sockets that are still catching up
NONE_KNOWN_SECONDS = 10.0  # how long "no budgets" is believed without a budget ring


def budget_wire(state: BudgetState) -> dict[str, object]:
    budget = state.budget
    return {
        "id": budget.pk,
        "name": budget.name,
        "amount": cents(budget.amount),
        "period": budget.period,
        "person": budget.person,
        "pay_type": budget.pay_type,
        "example": budget.example,
        "start": epoch_ms(state.start),
        "end": epoch_ms(state.end),
        "spent": state.spent,
    }


def alert_wire(alert: AlertEvent) -> dict[str, object]:
    return {
        "id": alert.pk,
        "budget": alert.budget_id,
        "budget_name": alert.budget.name,
        "threshold": alert.threshold,
        "label": alert.get_threshold_display(),
        "period_start": epoch_ms(alert.period_start),
        "value": cents(alert.value),
        "amount": cents(alert.amount),
        "at": epoch_ms(alert.raised),
    }


def budgets_shown(*, now: datetime) -> dict[str, Any]:
    """What the budgets panel shows: the frame's fields but its time."""
    return {
        "time_zone": timezone.get_default_timezone_name(),
        "budgets": [budget_wire(state) for state in budget_states(moment=now)],
        "alerts": [alert_wire(alert) for alert in alerts_recent()],
    }


def budgets_frame() -> str:
    now = timezone.now()
    return frame_text(BUDGETS_FRAME, at=epoch_ms(now), **budgets_shown(now=now))


def budgets_frame_if_moved(shown: list[dict[str, Any]]) -> str | None:
    """The frame after a change of records; "" (nothing to send) when the panel would show
    what `shown` holds (the last such frame of this process, which this keeps): the records
    moved no budget's spend this period and raised no alert. None while there are no
    budgets nor alerts. Three reads (budgets, their cells, alerts): asking first whether
    there are any would be a fourth on every write."""
    now = timezone.now()
    fields = budgets_shown(now=now)
    if not fields["budgets"] and not fields["alerts"]:
        return None
    if shown and shown[0] == fields:
        return ""
    shown[:] = [fields]
    return frame_text(BUDGETS_FRAME, at=epoch_ms(now), **fields)


def budgets_frame_on_connect() -> str | None:
    """The frame for a connecting socket, or after a change; None while there are no budgets
    nor alerts (a page without budgets hides the panel, and no frame is read for it)."""
    if not Budget.objects.exists() and not AlertEvent.objects.exists():
        return None
    return budgets_frame()


budgets_frame_now = database_sync_to_async(budgets_frame_on_connect)


class RingFrames:
    """The frame for each recent ring: the first socket to handle a ring reads it, the others
    await the same read. While there are no budgets, changed records read nothing: only a
    budget edit (its own ring) can make one, and the answer is read again after a while in
    case that ring was lost."""

    def __init__(self) -> None:
        self.reads: OrderedDict[str, asyncio.Task[str | None]] = OrderedDict()
        # What the last frame read for changed records showed (read and written in the one
        # database thread, in the order of the reads).
        self.shown: list[dict[str, Any]] = []
        self.none_until = 0.0  # monotonic time: no budgets known until then
        self.budget_rings = 0  # so that a read begun before a budget ring is not believed

    async def text(self, token: str, *, budgets_changed: bool) -> str | None:
        now, rings = time.monotonic(), self.budget_rings
        if budgets_changed:
            self.none_until, self.budget_rings = 0.0, rings + 1
        elif now < self.none_until and token not in self.reads:
            return None
        if token not in self.reads:
            # A budget ring always gets a frame, if an empty one: the last budget was deleted.
            if budgets_changed:
                self.shown.clear()  # the next change of records is compared afresh
                read = database_sync_to_async(budgets_frame)()
            else:
                read = database_sync_to_async(budgets_frame_if_moved)(self.shown)
            self.reads[token] = asyncio.ensure_future(read)
            while len(self.reads) > RINGS_KEPT:
                self.reads.popitem(last=False)
        text = await asyncio.shield(self.reads[token])
        if text is None and rings == self.budget_rings:
            self.none_until = max(self.none_until, now + NONE_KNOWN_SECONDS)
        return text


def ring_token(message: dict[str, Any]) -> str:
    """Records changed (a broadcast of feeds.broadcast: its last position), or a budget did
    (a ring of budgets.doorbell: its token)."""
    if message["type"] == BUDGETS_EVENT:
        return str(message["token"])
    return f"changes:{message['frames'][-1]['to']}"


async def budgets_frame_for(message: dict[str, Any]) -> str | None:
    """The frame a change of records or budgets calls for, read once in this process; None
    while there are no budgets (nor alerts), "" when the change moved nothing shown."""
    loop = asyncio.get_running_loop()
    if loop not in STATE.budget_frames:
        STATE.budget_frames[loop] = RingFrames()
    budgets_changed = message["type"] == BUDGETS_EVENT
    return await STATE.budget_frames[loop].text(
        ring_token(message), budgets_changed=budgets_changed
    )
