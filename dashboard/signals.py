"""Signal receivers that tell open dashboard sockets their user's access may have changed
(dashboard.access.access_changed): a logout, a change of team membership or permissions, an
account deactivated or deleted. Sent after the transaction commits, so the re-check reads
the new state."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.models import Group, User
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from dashboard.access import access_changed


def users_changed(user_ids: Any) -> None:
    for user_id in set(user_ids):
        transaction.on_commit(partial(access_changed, user_id=user_id))


@receiver(user_logged_out)
def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed: name the session, so its sockets close at once.
    if user is not None:
        access_changed(user_id=user.pk, session_key=request.session.session_key)


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def membership_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if not reverse:  # user.groups.remove(...) and the like: one user
        if action.startswith("post_"):
            users_changed([instance.pk])
    elif action in ("post_add", "post_remove"):  # group.user_set.remove(...)
        users_changed(pk_set)
    elif action == "pre_clear":  # group.user_set.clear(): who is in it, before
        users_changed(instance.user_set.values_list("pk", flat=True))


@receiver(m2m_changed, sender=Group.permissions.through)
def group_permissions_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_") and isinstance(instance, Group):
        users_changed(instance.user_set.values_list("pk", flat=True))


@receiver(pre_delete, sender=Group)
def group_deleted(sender: Any, instance: Group, **kwargs: Any) -> None:
    users_changed(instance.user_set.values_list("pk", flat=True))


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def account_changed(sender: Any, instance: User, created: bool = False, **kwargs: Any) -> None:
    # Not for a new account, nor for the last_login that every login saves.
    if not created and kwargs.get("update_fields") != frozenset({"last_login"}):
        users_changed([instance.pk])
