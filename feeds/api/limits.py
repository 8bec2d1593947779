"""What one client may make the API spend: bytes per request, requests per token per minute
(counted in Redis, so every server process shares the count)."""

from __future__ import annotations

import logging
import time
from functools import cache

import redis
from django.conf import settings
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class TooLarge(Exception):
    pass


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def body_size_check(request: HttpRequest) -> None:
    """Refuse a declared body over the limit before it is read (a body sent without a length
    meets Django's DATA_UPLOAD_MAX_MEMORY_SIZE, the same limit, when read)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_BODY_BYTES:
        raise TooLarge(f"request body over {settings.API_MAX_BODY_BYTES} bytes")


@cache
def counter() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def rate_check(token_id: int, *, kind: str = "all", limit: int | None = None) -> None:
    """A fixed window of one minute per token and kind of request; over `limit` (default
    API_REQUESTS_PER_MINUTE), 429 until the window ends."""
    limit = settings.API_REQUESTS_PER_MINUTE if limit is None else limit
    now = time.time()
    window = int(now // 60)
    key = f"rtviz:api:rate:{kind}:{token_id}:{window}"
    pipe = counter().pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    try:
        count = pipe.execute()[0]
    except RedisError as error:
        # Redis down: the records can still be stored (the dashboards recover them when it
        # is back), so the limit is not enforced rather than refusing every write.
        logger.warning("API rate limit not counted: %s", error)
        return
    if count > limit:
        raise RateLimited(retry_after=max(1, int((window + 1) * 60 - now) + 1))
