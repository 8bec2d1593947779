"""rtviz.client_ip: X-Forwarded-For believed only as far as our own proxies wrote it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from rtviz.client_ip import client_ip, networks_parse


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXY_NETWORKS = networks_parse(["127.0.0.1", "10.0.0.0/8", "::1"])


def request_from(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    "remote, forwarded, client",
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),  # one proxy
        ("127.0.0.1", "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # a forged left hop
        ("127.0.0.1", "203.0.113.9, 198.51.100.7, 10.1.2.3", "198.51.100.7"),  # two proxies
        ("127.0.0.1", "10.0.0.5, 10.1.2.3", "10.0.0.5"),  # every hop ours: the left-most
        ("127.0.0.1", "garbage, 198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "198.51.100.7, garbage", "127.0.0.1"),  # our proxy wrote no address
        ("127.0.0.1", "", "127.0.0.1"),
        ("192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not from a proxy: the header is theirs
        ("::1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_right_most_hop_not_ours(proxies, remote, forwarded, client):
    assert client_ip(request_from(remote, forwarded)) == client


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_NETWORKS = []

    assert client_ip(request_from("127.0.0.1", "198.51.100.7")) == "127.0.0.1"
