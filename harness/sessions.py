"""A logged-in session for a user, without the login form (Django must be set up)."""

from __future__ import annotations

from typing import Any


def session_cookie(user: Any) -> str:
    """`name=value` of a session cookie for `user`, to send as a Cookie header."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"
