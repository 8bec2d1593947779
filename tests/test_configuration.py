"""Startup and outages: a bad configuration is refused at once with one clear line, and an
unreachable database makes pages fail fast with a clear 503 (rtviz.settings, rtviz.asgi,
rtviz.unavailable)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from harness.daphne import daphne_command
from tests.conftest import ROOT, free_port, process_env, server_start, server_stop


@pytest.mark.django_db
def test_a_server_with_a_malformed_redis_url_refuses_to_start_with_one_line():
    result = subprocess.run(
        daphne_command(),
        cwd=ROOT,
        env=process_env(REDIS_URL="garbage"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "rtviz: REDIS_URL: Redis URL must specify one of the following schemes "
        "(redis://, rediss://, unix://), got 'garbage'"
    ]


def manage_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db
def test_a_missing_secret_key_is_one_line_too():
    env = process_env(DEBUG="")
    env.pop("SECRET_KEY", None)

    result = manage_check(env)

    assert result.returncode == 1
    assert result.stderr.startswith("rtviz: SECRET_KEY is not set.")
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_a_malformed_trusted_proxy_is_one_line():
    result = manage_check(process_env(TRUSTED_PROXIES="127.0.0.1,proxy.example"))

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "rtviz: TRUSTED_PROXIES: 'proxy.example' does not appear to be an IPv4 or IPv6 network"
    )


@pytest.fixture
def server_without_database(db, static_root):
    """Pointed at a PostgreSQL that is not there (nothing listens on the port)."""
    unreachable = f"postgres://rtviz@127.0.0.1:{free_port()}/rtviz"
    started = server_start(
        DATABASE_URL=unreachable, DATABASE_CONNECT_TIMEOUT="2", STATIC_ROOT=static_root
    )
    yield started
    server_stop(started)


def test_an_unreachable_database_is_a_clear_503_page(server_without_database):
    # A visitor with a session: reading it needs the database.
    url, cookie = server_without_database.url + "/", "sessionid=abcdefgh12345678"
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    started = time.monotonic()
    try:
        urllib.request.urlopen(request, timeout=120)  # noqa: S310 - our own test server
        pytest.fail("the page was served without a database")
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read().decode(), error.headers
    elapsed = time.monotonic() - started

    print(f"503 after {elapsed:.1f} s")  # reported, not asserted: the machine is shared
    assert status == 503
    assert "The database cannot be reached" in body
    assert headers["Retry-After"] == "10"
    assert headers["Cache-Control"] == "no-store"
