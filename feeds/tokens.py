"""API tokens: made (the key shown once), checked, revoked. Only the key's SHA-256 is stored;
a key is 256 random bits, so a fast hash is as good as a slow one against guessing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from feeds.models import ApiToken

KEY_PREFIX = "rtviz_"
LAST_USED_EVERY = timedelta(minutes=1)  # a write per request would make every read a write


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_new() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def token_create(
    *, name: str, scopes: Sequence[str], expires: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its key, which is not stored and cannot be shown again."""
    key = key_new()
    token = ApiToken(name=name, scopes=list(scopes), expires=expires)
    token_key_set(token=token, key=key)
    token.save()
    return token, key


def token_key_set(*, token: ApiToken, key: str) -> None:
    token.prefix = key[: len(KEY_PREFIX) + 4]
    token.key_hash = key_hash(key)


def token_revoke(*, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked=None).update(revoked=timezone.now())


def token_active(*, key: str) -> ApiToken | None:
    """The unrevoked, unexpired token of `key`, if any; notes its use."""
    now = timezone.now()
    token = ApiToken.objects.filter(key_hash=key_hash(key), revoked=None).first()
    if token is None or (token.expires is not None and token.expires <= now):
        return None
    if token.last_used is None or token.last_used < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


def token_still_active(*, token: ApiToken) -> bool:
    """Is it still valid now (read again: it may have been revoked since the request came)?"""
    now = timezone.now()
    current = ApiToken.objects.filter(pk=token.pk).values_list("revoked", "expires").first()
    return current is not None and current[0] is None and (current[1] is None or current[1] > now)
