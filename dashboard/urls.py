from __future__ import annotations

from django.conf import settings
from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("records/<int:record_id>.json", views.record_detail, name="record_detail"),
]
if settings.DASHBOARD_TEST_HOOKS:
    urlpatterns.append(path("test-hooks/state/", views.test_state, name="test_state"))
