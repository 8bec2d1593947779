"""Who may see the dashboard — active members of the Team group (or anyone granted the view) —
and how an open socket learns that it no longer may: at once, through a message to every
process when a user logs out or their membership, permissions or account change
(`access_changed`, sent by the signal receivers in dashboard.signals), and by a periodic
re-check as a backstop (`access_watch`), should such a message be lost."""

from __future__ import annotations

import asyncio
import contextvars
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
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from dashboard.state import STATE
from dashboard.wire import CLOSE_FORBIDDEN, CLOSE_LOGIN_REQUIRED

DASHBOARD_PERMISSION = "feeds.view_spendrecord"
TEAM_GROUP = "Team"
# The channel-layer group every process's relay (dashboard.relay) listens to for access changes.
ACCESS_GROUP = "dashboard.access"
ACCESS_CHANGED = "access.changed"  # its message type: {"user_id", "session_key" (or None)}
# The sessions one periodic re-check hop reads at most: ~2-3 ms of the database thread each.
ACCESS_HOP_SESSIONS = 25


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
    return store_user(session_store_class()(session_key=session_key))


def store_user(store: SessionBase) -> Any:
    return auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]


def session_store_class() -> type[SessionBase]:
    return import_module(settings.SESSION_ENGINE).SessionStore


def session_refusal(session_key: str | None) -> Refusal | None:
    """Whether a session may still see the dashboard, all on one database connection: as two
    hops (the session's user, then its permission) it was a fifth of a process's CPU at 100
    sockets (docs/benchmarks.md)."""
    return user_refusal(session_user(session_key))


def user_refusal(user: Any) -> Refusal | None:
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

    The sockets of one session in a process share one watch (`SessionWatch`): what the
    re-check reads — the session, its user and their permission — is the same for all of
    them, and a user's tabs, or a wall screen's, would otherwise each query it every interval."""
    watch = SessionWatch.join(scope["session"].session_key)
    try:
        refusal = await asyncio.shield(watch.refused)
    finally:
        watch.leave()
    await refuse(refusal)


@dataclass(eq=False)
class SessionWatch:
    """One session watched by the periodic re-check, for every socket of it in this event loop.
    It ends with the last of its sockets, or once it refused: a later socket of the session
    starts anew."""

    session_key: str | None
    refused: asyncio.Future[Refusal]
    sockets: int = 0

    @classmethod
    def join(cls, session_key: str | None) -> SessionWatch:
        loop = asyncio.get_running_loop()
        watches = STATE.access_watches.setdefault(loop, {})
        if (watch := watches.get(session_key)) is None:
            watch = watches[session_key] = cls(session_key, loop.create_future())
        if loop not in STATE.access_tickers:
            # The process's task, not the socket's that starts it: its log lines name no user.
            STATE.access_tickers[loop] = asyncio.create_task(
                access_tick(watches), context=contextvars.Context()
            )
        watch.sockets += 1
        return watch

    def leave(self) -> None:
        self.sockets -= 1
        if not self.sockets:
            self.end()

    def refuse(self, refusal: Refusal) -> None:
        self.refused.set_result(refusal)
        self.end()

    def end(self) -> None:
        loop = asyncio.get_running_loop()
        watches = STATE.access_watches.get(loop, {})
        if watches.get(self.session_key) is self:
            del watches[self.session_key]
        if not watches and (ticker := STATE.access_tickers.pop(loop, None)) is not None:
            ticker.cancel()  # nothing left to watch: no task outlives the last socket


async def access_tick(watches: dict[str | None, SessionWatch]) -> None:
    """Every interval, re-check every watched session of this event loop, many sessions to a
    database thread hop (`sessions_refusals`), not one hop per session: a hop opens and closes
    a database connection and switches threads, and with 100 sessions the per-session hops
    were a third of a process's CPU at 1,000 records/s (docs/benchmarks.md). A hop takes at
    most ACCESS_HOP_SESSIONS: the API's requests share the process's one database thread and
    wait behind a hop, so a restart's 1,000 reconnects make 40 short hops, not one long one.
    The first tick comes at a random point of the interval, so that processes started
    together do not tick together. A failed hop (the database down) closes nothing: it is
    logged, and the next tick tries again."""
    interval = settings.DASHBOARD_ACCESS_CHECK_SECONDS
    await asyncio.sleep(random.uniform(0, interval))  # spreading the processes, not a secret
    while True:
        keys = list(watches)
        for start in range(0, len(keys), ACCESS_HOP_SESSIONS):
            await access_hop(watches, keys[start : start + ACCESS_HOP_SESSIONS])
        await asyncio.sleep(interval)


async def access_hop(watches: dict[str | None, SessionWatch], keys: list[str | None]) -> None:
    try:
        refusals = await database_sync_to_async(sessions_refusals)(keys)
    except Exception as error:
        logger.warning("Could not re-check the dashboard sessions' access: %s", error)
        return
    STATE.access_hops += 1
    STATE.access_checks += len(keys)
    for key, refusal in refusals.items():
        if refusal is not None and (watch := watches.get(key)) is not None:
            watch.refuse(refusal)


def sessions_refusals(session_keys: list[str | None]) -> dict[str | None, Refusal | None]:
    """The re-check of each session, all in one database thread hop: the sessions read in one
    query (`sessions_load`), then Django's own get_user (auth hash, backends) and has_perm for
    each, as `session_refusal` does for one (tests/test_access.py holds them equal)."""
    stores = sessions_load(session_keys)
    return {key: session_store_refusal(key, store) for key, store in stores.items()}


def session_store_refusal(key: str | None, store: SessionBase) -> Refusal | None:
    """One session's re-check; one that fails (its data, its user's backend) is logged and
    checked again next tick, without failing the others' of the hop."""
    try:
        return user_refusal(store_user(store))
    except Exception:
        logger.exception("Could not re-check a dashboard session's access")
        return None


def sessions_load(session_keys: list[str | None]) -> dict[str | None, SessionBase]:
    """The sessions' stores, loaded. With the database session engine, all in one query of
    what its SessionStore.load reads for one (the unexpired row, decoded; none: empty), a
    quarter of a re-check's queries; any other engine loads each session itself, when read."""
    store_class = session_store_class()
    stores = {key: store_class(session_key=key) for key in session_keys}
    if store_class is db_sessions.SessionStore:
        rows: dict[str | None, str] = dict(
            db_sessions.SessionStore.get_model_class()
            .objects.filter(
                session_key__in=[store.session_key for store in stores.values()],
                expire_date__gt=timezone.now(),
            )
            .values_list("session_key", "session_data")
        )
        for store in stores.values():
            data = rows.get(store.session_key)
            loaded = store.decode(data) if data is not None else {}  # what load() returns
            store._session_cache = loaded  # type: ignore[attr-defined]  # where the store keeps it
    return stores


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
