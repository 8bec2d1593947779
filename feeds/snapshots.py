"""One read that sees the database as of one moment, across several statements: the dashboard's
summary (its sync point and the cells) and the API's (the cell sizes kept and the cells)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """One read transaction that sees the database as of one moment; inside a transaction
    already (a test's, or an outer snapshot), that one."""
    if connection.in_atomic_block or sqlite_in_transaction():
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


def sqlite_in_transaction() -> bool:
    """A BEGIN of ours is open: Django's own book-keeping knows only atomic()'s."""
    if connection.vendor != "sqlite":
        return False
    connection.ensure_connection()
    return bool(connection.connection.in_transaction)
