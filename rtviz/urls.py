from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from feeds.api.views import api
from rtviz import health

FAVICON = "dashboard/favicon.ico"

admin.site.site_header = admin.site.site_title = "rtviz admin"
admin.site.site_url = None  # its "View site" becomes "Dashboard" (templates/admin/base_site.html)
# The app list beside every page took 275 px from the record list, cutting its last columns
# at 1280 px; Home and the breadcrumbs lead to the same pages.
admin.site.enable_nav_sidebar = False


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico where a page links no icon: the static file, at its
    hashed name (a temporary redirect, so a new icon is seen)."""
    return HttpResponseRedirect(static(FAVICON))


urlpatterns = [
    path("", include("dashboard.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
    path("api/v1/", api.urls),
]
