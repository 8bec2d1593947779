"""Which pages may open a websocket: the site's own full origin, or an explicit allow-list.

Channels' AllowedHostsOriginValidator compares the Origin's host name only, so a page on
another port or scheme of the same host (`http://127.0.0.1:1`) could read the live stream with
the visitor's session cookie, which is same-site for every port. Here an origin is the triple
(scheme, host, port), compared whole.

The site's own origin is the one the browser used to reach the page: the handshake's Host
header (which must be one of ALLOWED_HOSTS) and the scheme. Behind a TLS-terminating proxy the
handshake reaches daphne as plain ws, so the scheme is https only when the proxy says so in
the header PROXY_SSL_HEADER names (SECURE_PROXY_SSL_HEADER), the header Django trusts for
request.is_secure(); with no such header configured, ws means http and wss means https. Any
other origin must be listed in WEBSOCKET_ALLOWED_ORIGINS or CSRF_TRUSTED_ORIGINS (the latter's
`https://*.example.com` form matches subdomains, as it does for Django's CSRF check).
A missing Origin, `null`, or anything that is not an http(s) origin is refused.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

Origin = tuple[str, str, int]  # scheme, host (lower case), port
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_parse(text: str) -> Origin | None:
    """An http(s) origin as (scheme, host, port), default port filled in; None otherwise."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a bad port or IPv6 literal
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        return None
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def scope_headers(scope: dict[str, Any]) -> dict[str, str]:
    return {
        name.decode("latin1").lower(): value.decode("latin1")
        for name, value in scope.get("headers", [])
    }


def site_origin(scope: dict[str, Any], headers: dict[str, str]) -> Origin | None:
    """The origin the page was served from, as this handshake shows it; None if its Host is
    missing or not one of ALLOWED_HOSTS."""
    host = headers.get("host", "")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    secure = scope.get("scheme") == "wss"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        # Django's META name (HTTP_X_FORWARDED_PROTO) as the header's own name.
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower()
        forwarded = headers.get(name, "").split(",")[0].strip()
        secure = secure or forwarded == proxy_header[1]
    return origin_parse(f"{'https' if secure else 'http'}://{host}")


def origin_listed(origin: Origin, allowed: list[str]) -> bool:
    scheme, host, port = origin
    for pattern in allowed:
        if "://*." in pattern:  # CSRF_TRUSTED_ORIGINS' subdomain wildcard
            parsed = origin_parse(pattern.replace("://*.", "://", 1))
            if (
                parsed
                and (scheme, port) == (parsed[0], parsed[2])
                and host.endswith("." + parsed[1])
            ):
                return True
        elif origin_parse(pattern) == origin:
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = scope_headers(scope)
    origin = origin_parse(headers.get("origin", ""))
    if origin is None:
        return False
    if origin == site_origin(scope, headers):
        return True
    allowed = [*settings.WEBSOCKET_ALLOWED_ORIGINS, *settings.CSRF_TRUSTED_ORIGINS]
    return origin_listed(origin, allowed)


class SameOriginValidator:
    """ASGI middleware for websockets: refuse the handshake (HTTP 403) unless origin_allowed."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
