"""Deploy checks (`manage.py check --deploy`) for the dashboard's own settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def test_hooks_off(**kwargs: Any) -> list[Warning]:
    """The test hooks route /test-hooks/state/, which answers anyone, logged in or not, with
    the process's sockets by user id: for the tests that drive a real daphne, never a site."""
    if not settings.DASHBOARD_TEST_HOOKS:
        return []
    return [
        Warning(
            "DASHBOARD_TEST_HOOKS is on: /test-hooks/state/ shows the sockets of every user to "
            "anyone. Unset it in production.",
            id="rtviz.W001",
        )
    ]
