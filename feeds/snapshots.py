"""One read that sees the database as of one moment, across several statements: the dashboard's
summary (its sync point and the cells) and the API's (the cell sizes kept and the cells)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """One read transaction that sees the database as of one moment; inside a transaction
    already (a test's), that one."""
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "sqlite":
        # Deferred: atomic() would BEGIN IMMEDIATE (settings) and take the write lock, stalling
        # every writer for as long as the summary takes. In WAL mode a reader blocks none.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
