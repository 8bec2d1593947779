from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from dashboard.access import can_view_dashboard
from dashboard.selectors import record_detail_get
from dashboard.state import STATE
from dashboard.wire import page_constants_json

EDIT_PERMISSION = "feeds.change_spendrecord"


@never_cache  # it names the user: no shared cache may keep it (Cache-Control: no-store, private)
@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    context = {"test_hooks": settings.DASHBOARD_TEST_HOOKS, "wire": page_constants_json()}
    return render(request, "dashboard/index.html", context)


@never_cache  # the team's data and who edited it: as the page, kept by no shared cache
@login_required
def record_detail(request: HttpRequest, record_id: int) -> JsonResponse:
    """One record's fields and admin history, for the table's drill-down; an edit link for
    those who may edit it in the admin."""
    if not can_view_dashboard(request.user):
        raise PermissionDenied
    detail = record_detail_get(record_id=record_id)
    if detail is None:
        raise Http404
    if request.user.is_staff and request.user.has_perm(EDIT_PERMISSION):
        detail["admin_url"] = reverse("admin:feeds_spendrecord_change", args=[record_id])
    return JsonResponse(detail)


async def test_state(request: HttpRequest) -> HttpResponse:
    """The process's socket state (dashboard.state), for the tests that drive a real daphne.
    Routed only with DASHBOARD_TEST_HOOKS; async, so it reads on the sockets' own loop."""
    if not settings.DASHBOARD_TEST_HOOKS:
        raise Http404
    return JsonResponse(STATE.snapshot())
