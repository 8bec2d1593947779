"""Probes and metrics for the operator: /healthz, /readyz, /metrics (docs/operations.md).

Cheap and anonymous where they may be: the probes run no login, read no records and say only
"ok" or what failed. /metrics needs the METRICS_TOKEN bearer token and is 404 without one set.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard.history import sync_point
from rtviz import metrics
from rtviz.redis_hosts import redis_client

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answers: nothing else is touched, so a slow database never
    makes a supervisor restart healthy processes."""
    return HttpResponse("ok\n", content_type="text/plain")


def database_ping() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread is not the request's: return the connection now


async def redis_ping() -> None:
    client = redis_client(settings.REDIS_HOST, timeout=settings.READY_TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def check(name: str, probe: Awaitable[Any]) -> str | None:
    """None when the probe answered in time, else one line saying what failed."""
    try:
        await asyncio.wait_for(probe, timeout=settings.READY_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"{name}: no answer within {settings.READY_TIMEOUT_SECONDS:g} s"
    except Exception as error:  # any failure means not ready; its class says which
        return f"{name}: {type(error).__name__}"
    return None


@never_cache
@require_GET
async def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: the database and Redis both answer within READY_TIMEOUT_SECONDS."""
    # Not the request's thread: a hung database must not hold the thread every other sync
    # view of this process runs in.
    database = sync_to_async(database_ping, thread_sensitive=False)()
    failures = [
        failure
        for failure in await asyncio.gather(
            check("database", database), check("redis", redis_ping())
        )
        if failure
    ]
    if failures:
        logger.warning("Not ready: %s", "; ".join(failures))
        return JsonResponse({"ready": False, "failed": failures}, status=503)
    return JsonResponse({"ready": True})


def metrics_authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404  # metrics are off until an operator sets a token
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_authorised(request):
        response = HttpResponse("A bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    metrics.DATABASE_POSITION.set(sync_point().position)
    body, content_type = metrics.metrics_text()
    return HttpResponse(body, content_type=content_type)
