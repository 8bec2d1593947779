from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from django.urls import reverse

from rtviz.middleware import CONTENT_SECURITY_POLICY
from tests.conftest import ROOT, Server, server_start, server_stop

LOGIN = reverse("login")
DASHBOARD = reverse("dashboard:index")

# The production environment the README's "Deploy" section documents.
PRODUCTION_ENV = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "rtviz.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://rtviz.example.com",
    "HTTPS": "1",
    "PROXY_SSL_HEADER": "X-Forwarded-Proto",
}
# Variables of the test run that would weaken production settings.
DEVELOPMENT_VARIABLES = {"DEBUG", "SECURE_COOKIES", "HSTS_SECONDS"}


def production_env() -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in DEVELOPMENT_VARIABLES}
    return {**inherited, **PRODUCTION_ENV}


# Production settings


def test_check_deploy_reports_nothing_under_the_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> str:
    """Collected static files: without DEBUG, pages link to them through their manifest."""
    root = str(tmp_path_factory.mktemp("static"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": root},
        check=True,
    )
    return root


@pytest.fixture
def https_server(transactional_db, static_root) -> Iterator[Server]:
    """Production settings behind a TLS-terminating proxy, which this test plays."""
    production = {**PRODUCTION_ENV, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": ""}
    started = server_start(**production, STATIC_ROOT=static_root, SECURE_COOKIES="")
    yield started
    server_stop(started)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own test server
    try:
        return urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as error:
        return error


def test_plain_http_is_redirected_to_https(https_server):
    response = fetch(https_server.url + LOGIN)

    assert response.status == 301
    assert response.headers["Location"] == f"https://127.0.0.1:{https_server.port}{LOGIN}"


def test_https_through_the_proxy_is_pinned_with_hsts_and_secure_cookies(https_server):
    response = fetch(https_server.url + LOGIN, **{"X-Forwarded-Proto": "https"})

    assert response.status == 200
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("csrftoken=") and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.django_db
@pytest.mark.parametrize("path", [LOGIN, DASHBOARD, reverse("admin:login")])
def test_every_page_allows_only_our_own_scripts_and_styles(client, path):
    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe" not in policy


@pytest.mark.django_db
def test_pages_refuse_framing_sniffing_and_leaking_referrers(client):
    response = client.get(LOGIN)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
