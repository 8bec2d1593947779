"""The Django side of the benchmarks, run in a process of its own for one bench database
(DATABASE_URL): migrate, empty, fill to a size, and log a team member in.

    python -m bench.prepare [--migrate] [--reset] [--fill-to N] [--session]

Prints one JSON object: what it did and how long it took. Filling writes rows with raw SQL
(COPY on PostgreSQL, executemany on SQLite) in large batches; the rows take their positions
from feeds.services.positions_allocate in the same transaction, as every write must.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

COLUMNS = ("name", "spent", "year", "pay_type", "quantity", "total", "tip", "created", "updated")
TABLE = "feeds_spendrecord"
BATCH = 100_000
NAMES = ("Ben", "Jarrod", "Vijay", "Aziz", "Maya", "Lin", "Omar", "Sofia")
PAY_TYPES = ("cash", "tab", "visa", "mastercard")
HISTORY_SPAN = timedelta(days=30)  # stored records spread over the last 30 days
BENCH_USER = "bench"


def money(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low * 100, high * 100 + 99)
    return f"{cents // 100}.{cents % 100:02d}"


def rows_generate(
    rng: random.Random, *, count: int, first_seq: int, start: datetime, step: timedelta
) -> Iterator[tuple[object, ...]]:
    for offset in range(count):
        moment = (start + step * offset).isoformat(sep=" ", timespec="microseconds")
        yield (
            rng.choice(NAMES),
            money(rng, 1, 149),
            rng.randint(2012, 2015),
            rng.choice(PAY_TYPES),
            rng.randint(1, 3),
            money(rng, 30, 999),
            money(rng, 10, 99),
            moment,
            moment,
            first_seq + offset,
        )


def batch_write(rows: list[tuple[object, ...]]) -> None:
    from django.db import connection

    columns = (*COLUMNS, "seq")
    raw = connection.connection
    if connection.vendor == "postgresql":
        # Text COPY: times carry their UTC offset.
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {TABLE} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            lines = "".join(
                "\t".join(str(value) for value in row[:7])
                + f"\t{row[7]}+00\t{row[8]}+00\t{row[9]}\n"
                for row in rows
            )
            copy.write(lines)
    else:
        placeholders = ", ".join("?" for _ in columns)
        raw.executemany(
            f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({placeholders})",  # noqa: S608
            rows,
        )


def records_count() -> int:
    from feeds.models import SpendRecord

    return SpendRecord.objects.count()


def fill_to(target: int) -> dict[str, float | int]:
    """Add records until `target` are stored, in batches of BATCH, one transaction each."""
    from django.db import connection, transaction

    from feeds.services import positions_allocate

    rng = random.Random(target)
    have = records_count()
    missing = max(0, target - have)
    now = datetime.now(UTC).replace(tzinfo=None)
    step = HISTORY_SPAN / max(target, 1)
    started = time.perf_counter()
    written = 0
    while written < missing:
        size = min(BATCH, missing - written)
        start = now - HISTORY_SPAN + step * (have + written)
        with transaction.atomic():
            connection.ensure_connection()
            first = positions_allocate(count=size)
            rows = list(rows_generate(rng, count=size, first_seq=first, start=start, step=step))
            batch_write(rows)
        written += size
    seconds = time.perf_counter() - started
    if written and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")
    return {"added": written, "fill_seconds": round(seconds, 2), "records": have + written}


def reset() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for table in (TABLE, "feeds_spenddeletion"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - constants


def session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from dashboard.access import TEAM_GROUP

    user, _ = User.objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name=TEAM_GROUP))
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


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
