"""What a client may make this process spend: sockets per user and per process, connects per
user, and frames and resyncs per socket (SECURITY.md lists them with their settings)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from dashboard.access import Refusal
from dashboard.state import STATE
from dashboard.wire import CLOSE_TOO_MANY


class FrameBudget:
    """A token bucket: `rate` a second on average, bursts of up to `burst`."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.checked = time.monotonic()

    def spend(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.checked) * self.rate)
        self.checked = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def client_frame_budget() -> FrameBudget:
    return FrameBudget(
        rate=settings.DASHBOARD_CLIENT_FRAMES_PER_SECOND,
        burst=settings.DASHBOARD_CLIENT_FRAMES_BURST,
    )


def resync_budget() -> FrameBudget:
    """Resyncs: each may be a full history, so far fewer than pings (which share the frame
    budget); one over it waits, coalesced with any later one (dashboard.consumers)."""
    return FrameBudget(
        rate=settings.DASHBOARD_RESYNCS_PER_MINUTE / 60, burst=settings.DASHBOARD_RESYNCS_BURST
    )


def socket_admit(user: Any) -> Refusal | None:
    """May this user open one more socket on this process now? Counted per process: a user
    spread over N processes behind a proxy may hold up to N times the per-user cap."""
    if len(STATE.sockets) >= settings.DASHBOARD_MAX_SOCKETS:
        return Refusal(CLOSE_TOO_MANY, "too_many_sockets", "This server is full; retrying.")
    if STATE.sockets_by_user[user.pk] >= settings.DASHBOARD_MAX_SOCKETS_PER_USER:
        return Refusal(
            CLOSE_TOO_MANY,
            "too_many_sockets",
            f"At most {settings.DASHBOARD_MAX_SOCKETS_PER_USER} open dashboards per person.",
        )
    budget = STATE.connect_budgets.get(user.pk)
    if budget is None:
        budget = STATE.connect_budgets[user.pk] = FrameBudget(
            rate=settings.DASHBOARD_CONNECTS_PER_MINUTE / 60,
            burst=settings.DASHBOARD_CONNECTS_BURST,
        )
    if not budget.spend():
        return Refusal(CLOSE_TOO_MANY, "too_many_connects", "Too many connects: slow down.")
    return None
