"""Writes on the dashboard's side: its users."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from dashboard.access import TEAM_GROUP


@transaction.atomic
def team_user_ensure(*, username: str, password: str, staff: bool = False) -> User:
    """A user on the dashboard's team with this password, made or updated."""
    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": staff})
    user.set_password(password)
    user.save()
    user.groups.add(Group.objects.get(name=TEAM_GROUP))
    return user
