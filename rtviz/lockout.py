"""Login lockouts: axes locks one username at one address after AXES_FAILURE_LIMIT failures;
this adds a limit per address across usernames, which password spraying (a few guesses at
each of many usernames) stays under otherwise.

The limit is higher than the per-username one, so that a few people mistyping behind one
office NAT do not lock each other out. Failures are axes' own records (AccessAttempt, in the
database: every server process sees them), counted over the cool-off time.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_client_ip_address, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def address_failures(ip_address: str) -> int:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since)
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


class LockoutBackend(AxesStandaloneBackend):
    """axes' backend, first refusing an address with too many failures across usernames."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is not None:
            failures = address_failures(get_client_ip_address(request))
            if failures >= settings.LOGIN_FAILURES_PER_ADDRESS:
                kwargs.get("response_context", {})["error"] = get_lockout_message()
                request.axes_locked_out = True  # type: ignore[attr-defined]
                raise AxesBackendPermissionDenied("too many failed logins from this address")
        return super().authenticate(request, *args, **kwargs)
