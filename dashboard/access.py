"""Who may see the dashboard: active members of the Team group (or anyone granted the view)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.auth import get_user
from django.conf import settings

DASHBOARD_PERMISSION = "feeds.view_spendrecord"
TEAM_GROUP = "Team"


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_active and user.has_perm(DASHBOARD_PERMISSION))


async def session_user(scope: dict[str, Any]) -> Any:
    """The socket's user as its session says now: anonymous once it logged out, or once its
    password changed (channels' get_user checks the session's hash)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return await get_user({"session": store(session_key=scope["session"].session_key)})
