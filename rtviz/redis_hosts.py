"""Where Redis is: one server (REDIS_URL) or a Sentinel-watched master (REDIS_SENTINELS).

channels-redis takes a host either as {"address": url} or as {"master_name", "sentinels",
"sentinel_kwargs", ...}; with the second it asks the sentinels for the current master on every
new connection, so after a failover the next connection reaches the promoted replica.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import unquote, urlsplit

# How long to wait for a Redis or sentinel connection: long enough for a busy machine, short
# enough that an outage is noticed (and a failover followed) within seconds.
CONNECT_TIMEOUT_SECONDS = 5
# Probe an idle connection after 10 s, then every 5 s; 3 unanswered probes close it.
KEEPALIVE_OPTIONS = {socket.TCP_KEEPIDLE: 10, socket.TCP_KEEPINTVL: 5, socket.TCP_KEEPCNT: 3}


def sentinels_parse(value: str) -> list[tuple[str, int]]:
    """ "host:port,host:port" -> [(host, port), ...]; a bad entry is a clear ValueError."""
    sentinels = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_SENTINELS entry {entry!r} is not host:port")
        sentinels.append((host.strip("[]"), int(port)))
    return sentinels


def channel_layer_host(*, redis_url: str, sentinels: str = "", master_name: str = "") -> dict:
    """The channel layer's host entry.

    With sentinels, REDIS_URL still gives the database number and password (its host and port
    are not used: the sentinels name the master).
    """
    # redis-py 8 times a read out after 5 s by default, exactly as long as channels-redis
    # blocks waiting for a message: on a busy machine the empty reply lands late and the
    # timeout killed live consumers. No read timeout, as before redis-py 8 (a finite one above
    # 5 s made a cancelled receive hang in teardown); connect quickly, so that an outage is
    # noticed.
    timeouts: dict[str, Any] = {
        "socket_timeout": None,
        "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
        # Without a read timeout, a master whose machine vanishes (no FIN, no RST) would hold
        # a blocked receive for ever: TCP keepalive notices a dead peer in about 25 s.
        "socket_keepalive": True,
        "socket_keepalive_options": KEEPALIVE_OPTIONS,
    }
    if not sentinels:
        return {"address": redis_url, **timeouts}
    if not master_name:
        raise ValueError("REDIS_SENTINELS is set but REDIS_MASTER_NAME is not")
    parts = urlsplit(redis_url)
    database = int(parts.path.lstrip("/") or 0)
    password = unquote(parts.password) if parts.password else None
    return {
        "master_name": master_name,
        "sentinels": sentinels_parse(sentinels),
        # Sentinels answer at once or not at all: a short timeout moves on to the next one.
        "sentinel_kwargs": {"socket_timeout": 1, "socket_connect_timeout": 1},
        "db": database,
        **({"password": password} if password else {}),
        **timeouts,
    }


def redis_client(host: dict, *, timeout: float) -> Any:
    """An asyncio Redis client for the same server as the channel layer, for health checks."""
    from redis import asyncio as redis_asyncio
    from redis.asyncio.sentinel import Sentinel

    limits: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if "address" in host:
        return redis_asyncio.Redis.from_url(host["address"], **limits)
    sentinel = Sentinel(host["sentinels"], sentinel_kwargs={"socket_timeout": timeout}, **limits)
    extra = {key: host[key] for key in ("db", "password") if key in host}
    return sentinel.master_for(host["master_name"], **extra)
