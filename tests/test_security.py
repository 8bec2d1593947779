from __future__ import annotations

import http.cookiejar
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rtviz.middleware import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD, ROOT, Server, server_start, server_stop, user_make

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


# Login throttling (django-axes)

FAILURE_LIMIT = 5


def login(client: Client, username: str, password: str, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def lock_out(client: Client, username: str) -> None:
    for _ in range(FAILURE_LIMIT):
        login(client, username, "wrong-password")


def logged_in(client: Client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def test_failures_below_the_limit_only_say_the_password_was_wrong(team_user, client):
    for _ in range(FAILURE_LIMIT - 1):
        response = login(client, team_user.username, "wrong-password")

    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_repeated_failures_lock_the_username_out_with_a_message(team_user, client):
    for _ in range(FAILURE_LIMIT - 1):
        login(client, team_user.username, "wrong-password")

    response = login(client, team_user.username, "wrong-password")

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "Wait 15 minutes" in response.content.decode()


def test_the_right_password_is_refused_during_a_lockout(team_user, client):
    lock_out(client, team_user.username)

    response = login(client, team_user.username, PASSWORD)

    assert response.status_code == 429
    assert not logged_in(client)


def test_a_lockout_leaves_other_users_at_the_same_address_alone(team_user, client):
    other = user_make("olga", team=True)
    lock_out(client, team_user.username)

    login(client, other.username, PASSWORD)

    assert logged_in(client)


def test_a_lockout_leaves_the_same_user_at_another_address_alone(team_user, client):
    lock_out(client, team_user.username)

    login(client, team_user.username, PASSWORD, REMOTE_ADDR="192.0.2.7")

    assert logged_in(client)


def test_the_right_password_works_again_after_the_cool_off(team_user, client):
    lock_out(client, team_user.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    login(client, team_user.username, PASSWORD)

    assert logged_in(client)


def process_login(server: Server, username: str, password: str, *, forwarded: str = "") -> int:
    """A browser-like login against a server process: get the form's CSRF cookie, post.
    `forwarded`: X-Forwarded-For as it arrives from a proxy, if any."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies), NoRedirect)
    if forwarded:
        opener.addheaders = [("X-Forwarded-For", forwarded)]
    opener.open(server.url + LOGIN)
    token = next(cookie.value for cookie in cookies if cookie.name == "csrftoken")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    try:
        return opener.open(server.url + LOGIN, urllib.parse.urlencode(form).encode()).status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_lockout_holds_across_server_processes(transactional_db, static_root):
    user = user_make("tess", team=True)
    # Plain http between the test and the servers: cookies must not be Secure-only.
    env = {"STATIC_ROOT": static_root, "SECURE_COOKIES": "0"}
    first, second = server_start(**env), server_start(**env)
    try:
        for server in [first, second, first, second, first]:  # the limit, split between them
            process_login(server, user.username, "wrong-password")

        assert process_login(first, user.username, PASSWORD) == 429
        assert process_login(second, user.username, PASSWORD) == 429
    finally:
        server_stop(first)
        server_stop(second)


# Caching and framing


@pytest.mark.django_db
def test_the_dashboard_page_is_kept_by_no_cache(client, team_user):
    client.force_login(team_user)

    response = client.get(DASHBOARD)

    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives


@pytest.fixture
def static_server(transactional_db, static_root) -> Iterator[Server]:
    """Production settings: whitenoise serves the collected static files."""
    started = server_start(STATIC_ROOT=static_root, DEBUG="", SECURE_COOKIES="0")
    yield started
    server_stop(started)


def test_static_files_refuse_framing_too(static_server):
    response = fetch(static_server.url + "/static/dashboard/css/rtviz.css")

    assert response.status == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
