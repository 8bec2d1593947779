"""Websocket origins against a real daphne: only the site's own full origin (scheme, host,
port) or an explicit allow-list may open the dashboard socket (rtviz.origins)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import Server, server_start, server_stop, session_cookie

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


async def handshake(server: Server, cookie: str, **headers: str) -> int | str:
    """The HTTP status that refused the handshake, or the first frame's type once accepted."""
    try:
        async with connect(server.ws_url, additional_headers={"Cookie": cookie, **headers}) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), timeout=20))["type"]
    except InvalidStatus as refused:
        return refused.response.status_code


@pytest.fixture
def proxied_server(transactional_db) -> Iterator[Server]:
    """Behind a TLS-terminating proxy that says https in X-Forwarded-Proto."""
    started = server_start(
        PROXY_SSL_HEADER="X-Forwarded-Proto",
        WEBSOCKET_ALLOWED_ORIGINS="https://dashboards.example.com",
        CSRF_TRUSTED_ORIGINS="https://*.rtviz.example",
    )
    yield started
    server_stop(started)


async def test_the_sites_own_origin_is_accepted(server, team_user):
    cookie = await sync_to_async(session_cookie)(team_user)

    assert await handshake(server, cookie, Origin=server.url) == "hello"


async def test_every_other_origin_is_refused(server, team_user):
    cookie = await sync_to_async(session_cookie)(team_user)
    port = server.port
    origins = {
        "another port": "http://127.0.0.1:1",
        "another scheme": f"https://127.0.0.1:{port}",
        "another host that is allowed": f"http://localhost:{port}",
        "a look-alike host": f"http://127.0.0.1.evil.example:{port}",
        "a look-alike suffix": f"http://evil-127.0.0.1:{port}",
        "null": "null",
        "a path": f"http://127.0.0.1:{port}/x",
        "credentials": f"http://user@127.0.0.1:{port}",
    }

    statuses = {case: await handshake(server, cookie, Origin=o) for case, o in origins.items()}
    statuses["none"] = await handshake(server, cookie)

    assert statuses == dict.fromkeys([*origins, "none"], 403)


async def test_a_proxy_saying_https_makes_the_https_origin_the_sites_own(proxied_server, team_user):
    cookie = await sync_to_async(session_cookie)(team_user)
    host = f"127.0.0.1:{proxied_server.port}"

    https = await handshake(
        proxied_server, cookie, Origin=f"https://{host}", **{"X-Forwarded-Proto": "https"}
    )
    http = await handshake(
        proxied_server, cookie, Origin=f"http://{host}", **{"X-Forwarded-Proto": "https"}
    )

    assert (https, http) == ("hello", 403)


async def test_x_forwarded_proto_counts_only_when_a_proxy_header_is_configured(server, team_user):
    cookie = await sync_to_async(session_cookie)(team_user)
    origin = f"https://127.0.0.1:{server.port}"

    status = await handshake(server, cookie, Origin=origin, **{"X-Forwarded-Proto": "https"})

    assert status == 403


async def test_listed_origins_are_accepted_and_nothing_else(proxied_server, team_user):
    cookie = await sync_to_async(session_cookie)(team_user)
    origins = {
        "WEBSOCKET_ALLOWED_ORIGINS": "https://dashboards.example.com",
        "its default port spelt out": "https://dashboards.example.com:443",
        "a CSRF_TRUSTED_ORIGINS wildcard": "https://team.rtviz.example",
        "the listed host over http": "http://dashboards.example.com",
        "the listed host on another port": "https://dashboards.example.com:8443",
        "the wildcard's own parent": "https://evilrtviz.example",
    }

    statuses = {
        case: await handshake(proxied_server, cookie, Origin=o) for case, o in origins.items()
    }

    assert list(statuses.values()) == ["hello", "hello", "hello", 403, 403, 403], statuses
