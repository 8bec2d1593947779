"""The Django side of the benchmarks, run in a process of its own for one bench database
(DATABASE_URL): migrate, empty, fill to a size, and log a team member in.

    python -m bench.prepare [--migrate] [--reset] [--fill-to N] [--session]

Prints one JSON object: what it did and how long it took. Filling has the database make the
rows (INSERT ... SELECT over a series) in large batches; the rows take their positions from
feeds.services.positions_allocate in the same transaction, as every write must, and the spend
cells are then made afresh from the records (feeds.cells.cells_rebuild).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta

BATCH = 1_000_000
NAMES = ("Ben", "Jarrod", "Vijay", "Aziz", "Maya", "Lin", "Omar", "Sofia")
PAY_TYPES = ("cash", "tab", "visa", "mastercard")
# Stored records spread over the last 29 days (and the minutes a run takes): the time chart
# asks for 6-hour buckets, ~220k summary rows with eight people, past the row limit
# (DASHBOARD_SUMMARY_MAX_ROWS), so a history goes in day buckets.
HISTORY_SPAN = timedelta(days=29)
BENCH_USER = "bench"


# The database makes the rows itself (ten million in about a minute): the tutorial's value
# ranges, as feeds.generator draws them, with bench's eight people. One statement per vendor,
# every value a parameter: the names and pay types as a JSON list (SQLite) or a text array
# (PostgreSQL), the amounts as whole cents from a low bound over a span.
AMOUNTS = {  # cents: (low, span) for low.00 to high.99
    "spent": (100, 149 * 100),
    "total": (3000, 970 * 100),
    "tip": (1000, 90 * 100),
}
SQLITE_FILL = """
INSERT INTO feeds_spendrecord (name, spent, year, pay_type, quantity, total, tip, created,
    updated, seq, source)
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %(count)s - 1)
SELECT json_extract(%(names)s, '$[' || (abs(random()) %% %(name_count)s) || ']'),
    (%(spent_low)s + abs(random()) %% %(spent_span)s) / 100.0,
    2012 + abs(random()) %% 4,
    json_extract(%(pay_types)s, '$[' || (abs(random()) %% %(pay_type_count)s) || ']'),
    1 + abs(random()) %% 3,
    (%(total_low)s + abs(random()) %% %(total_span)s) / 100.0,
    (%(tip_low)s + abs(random()) %% %(tip_span)s) / 100.0,
    created, created, %(first_seq)s + i, 'generator'
FROM (
    SELECT i, strftime('%%Y-%%m-%%d %%H:%%M:%%f', %(start_julian)s + i * %(step_days)s) AS created
    FROM n
) AS moments
"""
POSTGRES_FILL = """
INSERT INTO feeds_spendrecord (name, spent, year, pay_type, quantity, total, tip, created,
    updated, seq, source)
SELECT (%(names)s::text[])[1 + floor(random() * %(name_count)s)::int],
    (%(spent_low)s + floor(random() * %(spent_span)s)) / 100.0,
    2012 + floor(random() * 4)::int,
    (%(pay_types)s::text[])[1 + floor(random() * %(pay_type_count)s)::int],
    1 + floor(random() * 3)::int,
    (%(total_low)s + floor(random() * %(total_span)s)) / 100.0,
    (%(tip_low)s + floor(random() * %(tip_span)s)) / 100.0,
    created, created, %(first_seq)s + i, 'generator'
FROM (
    SELECT i, %(start)s::timestamptz + i * %(step)s::interval AS created
    FROM generate_series(0, %(count)s - 1) AS n(i)
) AS moments
"""


def rows_insert(*, count: int, first_seq: int, start: datetime, step: timedelta) -> None:
    from django.db import connection

    params: dict[str, object] = {
        "count": count,
        "first_seq": first_seq,
        "name_count": len(NAMES),
        "pay_type_count": len(PAY_TYPES),
    }
    for field, (low, span) in AMOUNTS.items():
        params.update({f"{field}_low": low, f"{field}_span": span})
    if connection.vendor == "sqlite":
        sql = SQLITE_FILL
        params.update(
            names=json.dumps(NAMES),
            pay_types=json.dumps(PAY_TYPES),
            start_julian=start.timestamp() / 86400 + 2440587.5,  # Julian days
            step_days=step / timedelta(days=1),
        )
    else:
        sql = POSTGRES_FILL
        params.update(names=list(NAMES), pay_types=list(PAY_TYPES), start=start, step=step)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def records_count() -> int:
    from feeds.models import SpendRecord

    return SpendRecord.objects.count()


def fill_to(target: int) -> dict[str, float | int]:
    """Add records until `target` are stored, in batches of BATCH, one transaction each."""
    from django.db import connection, transaction

    from feeds.cells import cells_rebuild
    from feeds.services import positions_allocate

    have = records_count()
    missing = max(0, target - have)
    now = datetime.now(UTC)
    step = HISTORY_SPAN / max(target, 1)
    started = time.perf_counter()
    written = 0
    while written < missing:
        size = min(BATCH, missing - written)
        start = now - HISTORY_SPAN + step * (have + written)
        with transaction.atomic():
            first = positions_allocate(count=size)
            rows_insert(count=size, first_seq=first, start=start, step=step)
        written += size
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    if written:
        cells_rebuild()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE feeds_spendrecord, feeds_spendcell")
    return {
        "added": written,
        "fill_seconds": round(seconds, 2),
        "cells_seconds": round(time.perf_counter() - started, 2),
        "records": have + written,
    }


def reset() -> None:
    from django.db import transaction

    from feeds.cells import cells_rebuild
    from feeds.models import SpendDeletion, SpendRecord

    with transaction.atomic():
        SpendRecord.objects.all().delete()  # one DELETE each: nothing cascades from them
        SpendDeletion.objects.all().delete()
        cells_rebuild()


def session_cookie() -> str:
    from django.contrib.auth.models import Group, User

    from dashboard.access import TEAM_GROUP
    from harness.sessions import session_cookie as user_session_cookie

    user, _ = User.objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name=TEAM_GROUP))
    return user_session_cookie(user)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--fill-to", type=int)
    parser.add_argument("--session", action="store_true")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
    import django

    django.setup()
    from django.core.management import call_command

    result: dict[str, object] = {}
    if options.migrate:
        call_command("migrate", verbosity=0)
    if options.reset:
        reset()
    if options.fill_to is not None:
        result.update(fill_to(options.fill_to))
    if options.session:
        result["cookie"] = session_cookie()
    result.setdefault("records", records_count())
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
