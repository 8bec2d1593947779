from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from dashboard.access import can_view_dashboard


@never_cache  # it names the user: no shared cache may keep it (Cache-Control: no-store, private)
@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    return render(request, "dashboard/index.html", {"test_hooks": settings.DASHBOARD_TEST_HOOKS})
