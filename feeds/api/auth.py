"""Bearer tokens only: a session cookie never authorises an API call, so there is no CSRF
to forge."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from feeds.api.limits import body_size_check, rate_check
from feeds.models import ApiToken
from feeds.tokens import token_active, token_still_active


class TokenAuth(HttpBearer):
    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_active(key=token)
        if found is None:
            return None
        if self.scope not in found.scopes:
            raise HttpError(403, f"this token lacks the {self.scope} scope")
        rate_check(found.pk)
        body_size_check(request)
        return found


def token_guard(token: ApiToken) -> Callable[[], None]:
    """For feeds.services: refuse the write if the token was revoked or expired while the
    request waited its turn."""

    def guard() -> None:
        if not token_still_active(token=token):
            raise HttpError(401, "token revoked or expired")

    return guard


WRITE = TokenAuth(ApiToken.Scope.RECORDS_WRITE)
READ = TokenAuth(ApiToken.Scope.RECORDS_READ)
