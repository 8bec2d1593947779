"""The periodic re-check's batch (dashboard.access.sessions_refusals) answers for every
session what Django's own per-session path (session_refusal: the session store, auth.get_user
with its auth-hash check and backends, has_perm) answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.utils import timezone

from dashboard.access import (
    DASHBOARD_PERMISSION,
    FORBIDDEN,
    LOGIN_REQUIRED,
    session_refusal,
    sessions_refusals,
)
from harness.sessions import session_cookie
from tests.conftest import user_make

pytestmark = pytest.mark.django_db


def key_of(user) -> str:
    return session_cookie(user).partition("=")[2]


def test_the_batch_answers_as_each_session_alone():
    member, outsider = user_make("tess", team=True), user_make("otto", team=False)
    granted = user_make("gus", team=False)  # the permission itself, not through the team
    app_label, codename = DASHBOARD_PERMISSION.split(".")
    granted.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    inactive, moved, expired, deleted = (user_make(name, team=True) for name in "iped")
    keys = {
        "member": key_of(member),
        "member again": key_of(member),
        "granted": key_of(granted),
        "outsider": key_of(outsider),
        "inactive": key_of(inactive),
        "password changed": key_of(moved),
        "expired": key_of(expired),
        "deleted": key_of(deleted),
        "garbage": "x" * 32,
        "short": "x",
    }
    inactive.is_active = False
    inactive.save()
    moved.set_password("another-password-entirely")  # the session's auth hash no longer matches
    moved.save()
    Session.objects.filter(session_key=keys["expired"]).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    Session.objects.filter(session_key=keys["deleted"]).delete()

    batch = sessions_refusals([*keys.values(), None])
    alone = {key: session_refusal(key) for key in [*keys.values(), None]}

    assert batch == alone
    assert {name: batch[key] for name, key in keys.items()} == {
        "member": None,
        "member again": None,
        "granted": None,
        "outsider": FORBIDDEN,
        "inactive": LOGIN_REQUIRED,  # ModelBackend.get_user gives no inactive user
        "password changed": LOGIN_REQUIRED,
        "expired": LOGIN_REQUIRED,
        "deleted": LOGIN_REQUIRED,
        "garbage": LOGIN_REQUIRED,
        "short": LOGIN_REQUIRED,
    }
    assert batch[None] == LOGIN_REQUIRED
