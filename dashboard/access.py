"""Who may see the dashboard — active members of the Team group (or anyone granted the view) —
and how an open socket learns that it no longer may: at once, through a message to every
process when a user logs out or their membership, permissions or account change
(`access_changed`, sent by the signal receivers in dashboard.signals), and by a periodic
re-check as a backstop (`access_watch`), should such a message be lost."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth

from dashboard.state import STATE
from dashboard.wire import CLOSE_FORBIDDEN, CLOSE_LOGIN_REQUIRED

DASHBOARD_PERMISSION = "feeds.view_spendrecord"
TEAM_GROUP = "Team"
# The channel-layer group every process's relay (dashboard.relay) listens to for access changes.
ACCESS_GROUP = "dashboard.access"
ACCESS_CHANGED = "access.changed"  # its message type: {"user_id", "session_key" (or None)}


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Why a socket may not (or no longer) see the dashboard: an error frame and a close code."""

    close_code: int
    code: str
    message: str


LOGIN_REQUIRED = Refusal(CLOSE_LOGIN_REQUIRED, "login_required", "Log in to see the dashboard.")
FORBIDDEN = Refusal(CLOSE_FORBIDDEN, "forbidden", "You are not on the dashboard's team.")


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_active and user.has_perm(DASHBOARD_PERMISSION))


def session_user(session_key: str | None) -> Any:
    """The user a session holds now: anonymous once it logged out, or once its password
    changed (django.contrib.auth.get_user checks the session's hash, as channels' does)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return auth.get_user(SimpleNamespace(session=store(session_key=session_key)))  # type: ignore[arg-type]


def session_refusal(session_key: str | None) -> Refusal | None:
    """The whole re-check in one database thread hop (one connection): it runs every
    DASHBOARD_ACCESS_CHECK_SECONDS for every open socket, and as two hops (the session's user,
    then its permission) it was a fifth of a process's CPU at 100 sockets (docs/benchmarks.md)."""
    user = session_user(session_key)
    if not user.is_authenticated:
        return LOGIN_REQUIRED
    if not can_view_dashboard(user):
        return FORBIDDEN
    return None


async def access_refusal(user: Any) -> Refusal | None:
    if not user.is_authenticated:
        return LOGIN_REQUIRED
    if not await database_sync_to_async(can_view_dashboard)(user):
        return FORBIDDEN
    return None


async def access_recheck(scope: dict[str, Any]) -> Refusal | None:
    return await session_recheck(scope["session"].session_key)


async def session_recheck(session_key: str | None) -> Refusal | None:
    return await database_sync_to_async(session_refusal)(session_key)


async def access_watch(scope: dict[str, Any], refuse: Any) -> None:
    """The backstop: re-check now and then, and `refuse(refusal)` once access is gone.

    The sockets of one session in a process share one re-check (`SessionWatch`): what it reads
    — the session, its user and their permission — is the same for all of them, and a user's
    tabs, or a wall screen's, would otherwise each query it every interval."""
    watch = SessionWatch.join(scope["session"].session_key)
    try:
        refusal = await asyncio.shield(watch.refused)
    finally:
        watch.leave()
    await refuse(refusal)


@dataclass(eq=False)
class SessionWatch:
    """The periodic re-check of one session for every socket of it in this event loop.

    Its first re-check comes at a random point of the interval: a re-check queries the
    database through the process's one database thread, which the API's writes and the
    histories use too, and sessions opened together (a team's pages, a restart's reconnects)
    would otherwise re-check together, a burst of queries in front of every request of the
    process once an interval (docs/benchmarks.md, the ingest section). It stops with the
    last of its sockets, or once it refused: a later socket of the session starts anew."""

    session_key: str | None
    refused: asyncio.Future[Refusal]
    sockets: int = 0
    task: asyncio.Task[None] | None = None

    @classmethod
    def join(cls, session_key: str | None) -> SessionWatch:
        loop = asyncio.get_running_loop()
        watches = STATE.access_watches.setdefault(loop, {})
        if (watch := watches.get(session_key)) is None:
            watch = watches[session_key] = cls(session_key, loop.create_future())
            watch.task = asyncio.create_task(watch.run())
        watch.sockets += 1
        return watch

    def leave(self) -> None:
        self.sockets -= 1
        if not self.sockets:
            self.end()

    def end(self) -> None:
        if self.task is not None:
            self.task.cancel()
        watches = STATE.access_watches.get(asyncio.get_running_loop(), {})
        if watches.get(self.session_key) is self:
            del watches[self.session_key]

    async def run(self) -> None:
        interval = settings.DASHBOARD_ACCESS_CHECK_SECONDS
        try:
            await asyncio.sleep(random.uniform(0, interval))  # spreading the checks, not a secret
            while not (refusal := await session_recheck(self.session_key)):
                await asyncio.sleep(interval)
        except Exception as error:  # each socket's watch fails with it, as its own would
            self.refused.set_exception(error)
        else:
            self.refused.set_result(refusal)
        finally:
            self.task = None  # ending here: nothing to cancel
            self.end()


def access_changed(*, user_id: int, session_key: str | None = None) -> None:
    """Tell every process that `user_id`'s access may have changed: their sockets re-check it
    now; a socket of the logged-out `session_key` closes. Best effort: if the channel layer
    is down, the periodic re-check still closes them."""
    message = {"type": ACCESS_CHANGED, "user_id": user_id, "session_key": session_key}
    try:
        async_to_sync(get_channel_layer().group_send)(ACCESS_GROUP, message)
    except Exception as error:  # never fail a logout or an admin save over this
        logger.warning("Could not tell the dashboard sockets of an access change: %s", error)


async def access_message_refusal(
    message: dict[str, Any], *, user_id: int, scope: dict[str, Any]
) -> Refusal | None:
    """What an access-change message means for a socket of `user_id` with this scope."""
    if message["user_id"] != user_id:
        return None
    if message["session_key"] and message["session_key"] == scope["session"].session_key:
        return LOGIN_REQUIRED  # its own session is logging out (the signal comes before)
    return await access_recheck(scope)
