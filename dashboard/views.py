from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from dashboard.access import can_view_dashboard
from dashboard.state import STATE


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return render(request, "dashboard/index.html", {"test_hooks": settings.DASHBOARD_TEST_HOOKS})


async def test_state(request: HttpRequest) -> HttpResponse:
    """The process's socket state (dashboard.state), for the tests that drive a real daphne.
    Routed only with DASHBOARD_TEST_HOOKS; async, so it reads on the sockets' own loop."""
    if not settings.DASHBOARD_TEST_HOOKS:
        raise Http404
    return JsonResponse(STATE.snapshot())
