"""SQL for the integer values the wire carries, computed by the database, shared by the
history (dashboard.history) and the summary cells (feeds.cells)."""

from __future__ import annotations

import sqlite3

from django.db import connection

from feeds.models import SpendRecord

# Money in cents and times in epoch milliseconds, computed by the database: turning each
# value into a Decimal or an aware datetime only to turn it back into an integer took over half
# of the time of a 1M-record history (docs/benchmarks.md). Times floor to the millisecond, as
# feeds.encoding does.
CENTS = {
    "sqlite": "CAST(ROUND({0} * 100) AS INTEGER)",
    "postgresql": "({0} * 100)::bigint",
}
# SQLite stores times as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds from the first
# 19 characters (reading the fraction would round .9995 up a second), milliseconds from the
# text. unixepoch() (SQLite 3.38) reads them in half the time strftime('%s') takes.
SQLITE_SECONDS = (
    "unixepoch(substr({0}, 1, 19))"
    if sqlite3.sqlite_version_info >= (3, 38)
    else "CAST(strftime('%%s', substr({0}, 1, 19)) AS INTEGER)"
)
EPOCH_MS = {
    "sqlite": f"({SQLITE_SECONDS} * 1000 + CAST(substr({{0}}, 21, 3) AS INTEGER))",
    "postgresql": "floor(extract(epoch FROM {0}) * 1000)::bigint",
}

# Grouping by bytes, not by the locale's collation, sorts a million names in half the time on
# PostgreSQL.
GROUP_KEY = {"sqlite": "{0}", "postgresql": '{0} COLLATE "C"'}


def records_table() -> str:
    return connection.ops.quote_name(SpendRecord._meta.db_table)
