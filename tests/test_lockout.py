"""Login lockouts behind a proxy and across usernames (rtviz.client_ip, rtviz.lockout), with
forged X-Forwarded-For headers, against the deployment the README documents: daphne behind a
proxy that appends the client's address, here played by the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.conftest import PASSWORD, Server, server_start, server_stop, user_make
from tests.test_security import DASHBOARD, FAILURE_LIMIT, login, process_login

# How README's Deploy section runs daphne behind the proxy.
DEPLOYED = {"TRUSTED_PROXIES": "127.0.0.1", "SECURE_COOKIES": "0"}
SPRAYED_USERNAMES = 10


@pytest.fixture
def proxied(transactional_db, static_root) -> Iterator[Server]:
    started = server_start(STATIC_ROOT=static_root, **DEPLOYED)
    yield started
    server_stop(started)


def proxied_login(server: Server, username: str, password: str, *, forwarded: str) -> int:
    """A login through an appending proxy: `forwarded` is X-Forwarded-For as it arrives."""
    return process_login(server, username, password, forwarded=forwarded)


def test_a_changing_forged_hop_does_not_dodge_the_lockout(proxied):
    user = user_make("tess", team=True)
    for attempt in range(FAILURE_LIMIT):  # the client forges a new left hop each time
        forwarded = f"203.0.113.{attempt}, 198.51.100.7"
        proxied_login(proxied, user.username, "wrong-password", forwarded=forwarded)

    status = proxied_login(proxied, user.username, PASSWORD, forwarded="203.0.113.99, 198.51.100.7")

    assert status == 429


def test_naming_a_victims_address_does_not_lock_the_victim_out(proxied):
    user = user_make("tess", team=True)
    victim, attacker = "198.51.100.7", "203.0.113.66"
    for _ in range(FAILURE_LIMIT):
        proxied_login(proxied, user.username, "wrong", forwarded=f"{victim}, {attacker}")

    status = proxied_login(proxied, user.username, PASSWORD, forwarded=victim)

    assert status == 302  # logged in, sent on to the dashboard


@pytest.fixture
def fast_hashes(settings):
    """Fifty logins hash fifty passwords: a fast hasher keeps that to milliseconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hashes")
def test_password_spraying_from_one_address_is_locked_out(client):
    for number in range(SPRAYED_USERNAMES):
        user_make(f"user{number}", team=True)
    statuses = [
        login(client, f"user{attempt % SPRAYED_USERNAMES}", "wrong-password").status_code
        for attempt in range(40)  # four a username: each below the per-username limit
    ]
    last = user_make("last", team=True)

    refused = login(client, last.username, PASSWORD)

    assert statuses[-1] == 429
    assert refused.status_code == 429
    assert client.get(DASHBOARD).status_code == 302  # not logged in


@pytest.mark.django_db
@pytest.mark.usefixtures("fast_hashes")
def test_spraying_from_one_address_leaves_other_addresses_alone(client):
    for attempt in range(40):
        login(client, f"nobody{attempt % SPRAYED_USERNAMES}", "wrong-password")
    user = user_make("tess", team=True)

    other = Client(REMOTE_ADDR="192.0.2.50")
    login(other, user.username, PASSWORD)

    assert other.get(DASHBOARD).status_code == 200
