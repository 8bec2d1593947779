"""A deadline on the API's reads: a page whose filter no index serves (a year with no records)
reads every record, seconds at millions of them, in the one thread that runs all of a server
process's views (Django's sync views under ASGI); a summary reads the kept cells, fewer, but
still many at a long history of many people. Past API_READ_SECONDS the database stops the read
and the client gets a 503 saying to narrow it, while the others are served.

PostgreSQL cancels the statement itself (statement_timeout, for the request's transaction
only); SQLite asks a progress handler every few thousand steps whether to go on.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from ninja.errors import HttpError

SQLITE_CHECK_EVERY = 10_000  # virtual machine steps between two looks at the clock


class ReadTooLong(HttpError):
    def __init__(self, seconds: float) -> None:
        super().__init__(503, f"the read took over {seconds:g} s: narrow its filters")


@contextmanager
def read_deadline(seconds: float | None = None) -> Iterator[None]:
    seconds = settings.API_READ_SECONDS if seconds is None else seconds
    if connection.vendor == "postgresql":
        with postgresql_deadline(seconds):
            yield
    elif connection.vendor == "sqlite":
        with sqlite_deadline(seconds):
            yield
    else:
        yield


@contextmanager
def postgresql_deadline(seconds: float) -> Iterator[None]:
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # SET takes no parameters: the value is a whole number of milliseconds.
                cursor.execute(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
            yield
    except OperationalError as error:
        if type(error.__cause__).__name__ == "QueryCanceled":
            raise ReadTooLong(seconds) from None
        raise


@contextmanager
def sqlite_deadline(seconds: float) -> Iterator[None]:
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + seconds
    stopped = False

    def past_deadline() -> int:
        nonlocal stopped
        stopped = time.monotonic() > deadline
        return int(stopped)

    raw.set_progress_handler(past_deadline, SQLITE_CHECK_EVERY)
    try:
        yield
    except OperationalError:
        if stopped:
            raise ReadTooLong(seconds) from None
        raise
    finally:
        raw.set_progress_handler(None, 0)
