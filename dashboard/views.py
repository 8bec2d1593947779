from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dashboard.access import can_view_dashboard
from dashboard.wire import page_constants_json


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    context = {"test_hooks": settings.DASHBOARD_TEST_HOOKS, "wire": page_constants_json()}
    return render(request, "dashboard/index.html", context)
