"""Our middleware: a Content-Security-Policy, request latency and the log context.

Content-Security-Policy: the pages run only our own scripts and styles.

Django 5.2 has no CSP of its own. Templates hold no inline script or style (only data
attributes), so the policy needs no nonce and no 'unsafe-inline'. d3 and dc.js style elements
through the CSSOM, which a CSP does not restrict.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from rtviz import metrics
from rtviz.logs import request_id_from, request_id_var, user_var

# 'self' covers same-origin ws:// and wss:// (CSP Level 3, every current browser), so the
# dashboard's socket needs no scheme-wide ws:/wss: that would let a script reach any host.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return middleware


# The methods a metric names; the client chooses the method, and each new one would be a new
# labelled histogram, kept for the process's life: any other counts as "other".
METRIC_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

# Probes and scrapes come every few seconds from every checker: logged only at DEBUG.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
request_logger = logging.getLogger("rtviz.request")


def request_latency(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Times each request into rtviz_http_request_seconds and logs one line for it, under a
    request id (the proxy's X-Request-ID, or a new one) that the response echoes."""

    def middleware(request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get("X-Request-ID"))
        request_id_var.set(request_id)
        user_var.set("-")
        started = time.perf_counter()
        response = get_response(request)
        seconds = time.perf_counter() - started
        match = request.resolver_match
        view = match.view_name if match else "unmatched"
        method = request.method if request.method in METRIC_METHODS else "other"
        metrics.REQUEST_SECONDS.labels(
            view=view, method=method, status=f"{response.status_code // 100}xx"
        ).observe(seconds)
        response.setdefault("X-Request-ID", request_id)
        # The path only: a query string may carry what a log should not.
        request_logger.log(
            logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
            "%s %s %d %.1fms",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
        )
        return response

    return middleware


def request_context(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Names the request's user in its log lines (after AuthenticationMiddleware)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # Reading the session needs the database: when it is unreachable the view's own read
        # fails again and rtviz.unavailable answers 503; a name for the log is not worth a 500.
        with contextlib.suppress(DatabaseError):
            if user is not None and user.is_authenticated:
                user_var.set(user.get_username())
        return get_response(request)

    return middleware


def socket_log_context(app: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """ASGI wrapper for websockets (inside AuthMiddlewareStack, which has resolved the user):
    the socket's log lines, from every task of its life, carry its user and a request id."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", ()))
        request_id_var.set(request_id_from(headers.get(b"x-request-id", b"").decode("latin-1")))
        user = scope.get("user")
        user_var.set(user.get_username() if user is not None and user.is_authenticated else "-")
        await app(scope, receive, send)

    return wrapped
