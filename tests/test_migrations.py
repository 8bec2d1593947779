"""The migrations, run by `manage.py migrate` on a database of their own that starts empty:
the test database is migrated already, and a migration must not lean on today's code."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from tests.conftest import ROOT, process_env

RECORDS = [  # spent, created: cents 1234 + 99 + 5000, within two hours
    ("12.34", "2026-11-20 10:00:00.250000"),
    ("0.99", "2026-11-20 11:00:00"),
    ("50.00", "2026-11-20 11:59:00.999000"),
]


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of the vendor the suite runs on."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name = f"{settings['NAME']}_fresh"
    server = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(url: str, *arguments: str) -> None:
    """manage.py in a process of its own, on the database at `url`; it must succeed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=process_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def migrate(url: str, *target: str) -> None:
    manage(url, "migrate", "--no-input", *target)


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Plain DB-API, to read and write around today's models."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(url, autocommit=True) as db:
        cursor = db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def records_insert(url: str, rows: list[tuple[str, str]] = RECORDS) -> None:
    """Rows of (spent, created), RECORDS unless told, as Ben's visa records of 2014, written
    around today's models."""
    for seq, (spent, created) in enumerate(rows, start=1):
        query(
            url,
            "INSERT INTO feeds_spendrecord (name, spent, year, pay_type, quantity, total, tip, "
            "created, updated, seq) VALUES ('Ben', %s, 2014, 'visa', 1, %s, 0, %s, %s, %s)",
            (spent, spent, created, created, seq),
        )


@pytest.mark.django_db
def test_an_empty_database_migrates_from_zero_to_the_latest(empty_database):
    migrate(empty_database)

    assert query(empty_database, "SELECT COUNT(*) FROM feeds_spendrecord") == [(0,)]
    assert query(empty_database, "SELECT COUNT(*) FROM feeds_spendcell") == [(0,)]
    assert query(empty_database, "SELECT finest_ms FROM feeds_cellstate") == [(1000,)]


@pytest.mark.django_db
def test_the_cells_migration_sums_the_records_stored_before_it(empty_database):
    migrate(empty_database, "feeds", "0003")
    records_insert(empty_database)

    migrate(empty_database)

    # Two hours of records: 60 s buckets are the finest that 120 buckets span them with, and
    # 6 h the coarsest of use (one bucket spans them; 0008 dropped the day's and the week's).
    assert query(empty_database, "SELECT finest_ms, coarsest_ms FROM feeds_cellstate") == [
        (60_000, 21_600_000)
    ]
    sizes = query(
        empty_database,
        "SELECT size, SUM(records), SUM(spent) FROM feeds_spendcell GROUP BY size ORDER BY size",
    )
    assert [size for size, _, _ in sizes] == [
        60_000,
        300_000,
        900_000,
        3_600_000,
        21_600_000,
    ]
    assert all((int(count), int(spent)) == (3, 6333) for _, count, spent in sizes)
    hours = query(
        empty_database,
        "SELECT bucket, amount, records FROM feeds_spendcell WHERE size = 3600000",
    )
    assert sorted(hours) == [  # 10:00 and 11:00 UTC; $10 bins
        (1795168800000, 10, 1),
        (1795172400000, 0, 1),
        (1795172400000, 50, 1),
    ]


@pytest.mark.django_db
def test_migrating_back_before_the_coarsest_size_makes_the_coarser_cells_again(empty_database):
    migrate(empty_database, "feeds", "0003")
    records_insert(empty_database)
    migrate(empty_database)

    migrate(empty_database, "feeds", "0007")  # the code then kept every size from the finest

    sizes = query(
        empty_database,
        "SELECT size, SUM(records), SUM(spent) FROM feeds_spendcell GROUP BY size ORDER BY size",
    )
    assert [size for size, _, _ in sizes][-3:] == [21_600_000, 86_400_000, 604_800_000]
    assert all((int(count), int(spent)) == (3, 6333) for _, count, spent in sizes)


@pytest.mark.django_db
def test_the_bounds_migration_refuses_records_outside_them_and_names_them(empty_database):
    migrate(empty_database, "feeds", "0005")
    rows = [  # quantity, tip, created: the second is outside (tip over $1,000), the third too
        (1, "5.00", "2026-11-20 10:00:00"),
        (1, "1000.01", "2026-11-20 10:00:00"),
        (1, "5.00", "1999-12-31 23:59:59"),
    ]
    for seq, (quantity, tip, created) in enumerate(rows, start=1):
        query(
            empty_database,
            "INSERT INTO feeds_spendrecord (name, spent, year, pay_type, quantity, total, tip, "
            "created, updated, seq) VALUES ('Ben', 1, 2014, 'visa', %s, 1, %s, %s, %s, %s)",
            (quantity, tip, created, created, seq),
        )

    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "feeds", "0006"],
        cwd=ROOT,
        env=process_env(DATABASE_URL=empty_database),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode != 0
    assert "Records outside the new bounds (ids 2, 3)" in result.stderr


@pytest.mark.django_db
def test_the_budgets_day_migration_keeps_totals_for_the_records_stored_before_it(empty_database):
    migrate(empty_database, "feeds", "0003")
    migrate(empty_database, "budgets", "0002")
    records_insert(empty_database)
    query(  # a budget of every name's visa spend in a month
        empty_database,
        "INSERT INTO budgets_budget (name, amount, period, person, pay_type, example, created,"
        " updated) VALUES ('Visa', 100, 'month', '', 'visa', false, %s, %s)",
        (RECORDS[0][1], RECORDS[0][1]),
    )

    migrate(empty_database)

    cells = query(
        empty_database,
        "SELECT period, name, pay_type, spent, records FROM budgets_periodspend",
    )
    # The records' own day cell, and the one scope a budget follows, no other.
    assert sorted((p, n, t, int(s), int(r)) for p, n, t, s, r in cells) == [
        ("day", "Ben", "visa", 6333, 3),
        ("month", "", "visa", 6333, 3),
    ]
    assert len(query(empty_database, "SELECT token FROM budgets_budgetsversion")) == 1


SECOND_APART = [  # spent, created: within one second
    ("12.34", "2026-11-20 10:00:00.250000"),
    ("0.99", "2026-11-20 10:00:00.500000"),
    ("50.00", "2026-11-20 10:00:00.999000"),
]


MINUTE_APART = [  # spent, created: within a minute (the 1 s size still of use before 0008)
    ("12.34", "2026-11-20 10:00:00.250000"),
    ("0.99", "2026-11-20 10:00:30"),
    ("50.00", "2026-11-20 10:00:59.999000"),
]


def cell_sizes(url: str) -> list[int]:
    return [int(s) for (s,) in query(url, "SELECT DISTINCT size FROM feeds_spendcell ORDER BY 1")]


@pytest.mark.django_db
def test_the_coarsest_migration_drops_the_coarser_cells_of_a_database_with_no_cell_state(
    empty_database,
):
    """The code before 0008 read no CellState row as "every size from 1 s up" and wrote it
    only once the span outgrew the 1 s size (two minutes): a database flushed and then written
    a minute's worth holds cells of all ten sizes and no state row. Today's code reads no row
    as "1 s alone": 0008 must leave no cells outside that."""
    migrate(empty_database, "feeds", "0003")
    records_insert(empty_database, MINUTE_APART)
    migrate(empty_database, "feeds", "0007")
    assert cell_sizes(empty_database)[-1] == 604_800_000  # every size, from 1 s up
    query(empty_database, "DELETE FROM feeds_cellstate")  # as the old code left it
    query(empty_database, "UPDATE feeds_changesequence SET position = 3")  # the records' seqs

    migrate(empty_database)

    # A write that grows the span past a second: it makes the 5 s cells from the 1 s ones.
    manage(
        empty_database,
        "shell",
        "-c",
        "import random, datetime; from feeds.generator import spend_records_generate; "
        "from feeds.services import records_create; "
        "(r,) = spend_records_generate(rng=random.Random(1), count=1); "
        "r.created = datetime.datetime(2026, 11, 20, 10, 3, tzinfo=datetime.UTC); "
        "records_create(records=[r])",
    )


@pytest.mark.django_db
def test_migrating_back_with_no_cell_state_makes_every_coarser_size(empty_database):
    """Today's code writes no CellState row while the records lie within a second (after a
    flush): its cells are of 1 s alone. The code before 0008 reads no row as every size from
    1 s up, so 0008 going back must make them."""
    migrate(empty_database, "feeds", "0003")
    records_insert(empty_database, SECOND_APART)
    migrate(empty_database)
    assert cell_sizes(empty_database) == [1000]
    query(empty_database, "DELETE FROM feeds_cellstate")  # as a flush, then writes, leave it

    migrate(empty_database, "feeds", "0007")

    sizes = query(
        empty_database,
        "SELECT size, SUM(records), SUM(spent) FROM feeds_spendcell GROUP BY size ORDER BY size",
    )
    assert [int(size) for size, _, _ in sizes] == [
        *(1000, 5000, 15000, 60000, 300000, 900000),
        *(3_600_000, 21_600_000, 86_400_000, 604_800_000),
    ]
    assert all((int(count), int(spent)) == (3, 6333) for _, count, spent in sizes)
