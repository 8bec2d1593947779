"""Who may see the dashboard: active members of the Team group (or anyone granted the view)."""

from __future__ import annotations

from typing import Any

DASHBOARD_PERMISSION = "feeds.view_spendrecord"
TEAM_GROUP = "Team"


def can_view_dashboard(user: Any) -> bool:
    return bool(user.is_active and user.has_perm(DASHBOARD_PERMISSION))
