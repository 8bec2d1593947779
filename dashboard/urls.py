from __future__ import annotations

from django.urls import path

from dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("records/<int:record_id>.json", views.record_detail, name="record_detail"),
]
