"""The client's address behind proxies we trust: the right-most X-Forwarded-For hop that is
not one of TRUSTED_PROXIES.

A proxy that appends to X-Forwarded-For passes on whatever the client put at its left, so
the left-most hop (what daphne's --proxy-headers takes) is the client's to choose: a changing
one dodged the login lockout, and a victim's address locked the victim out. Reading from the
right, each hop was written by the proxy to its right, so the first one not written by a
trusted proxy is as far as the chain can be believed. With no TRUSTED_PROXIES (or a request
that did not come from one), the header is ignored and the address is the TCP peer's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # settings import this module: nothing heavier at run time
    from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks_parse(entries: Iterable[str]) -> list[Network]:
    """TRUSTED_PROXIES' addresses and networks (`10.0.0.0/8`), or one clear error."""
    try:
        return [ipaddress.ip_network(entry, strict=False) for entry in entries]
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None


def address_parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address for request (axes' AXES_CLIENT_IP_CALLABLE)."""
    trusted: list[Network] = settings.TRUSTED_PROXY_NETWORKS
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (h.strip() for h in forwarded.split(",")) if hop]
    client = request.META.get("REMOTE_ADDR", "")
    for hop in reversed(hops):
        peer = address_parse(client)
        if peer is None or not any(peer in network for network in trusted):
            break  # `client` is not a proxy of ours: it is the client
        if address_parse(hop) is None:
            break  # a hop that is no address: believe nothing left of it
        client = hop
    return str(address_parse(client) or client)
