from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, Permission, User
from django.db import connection, connections
from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast

from dashboard.access import DASHBOARD_PERMISSION, TEAM_GROUP
from dashboard.state import STATE
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create
from feeds.units import Cents
from harness.daphne import Daphne, daphne_start, process_stop
from harness.redis import free_port
from harness.sessions import session_cookie

__all__ = ["free_port", "session_cookie"]  # for the tests that import them from here

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def plain_static_storage(settings):
    # Page tests render {% static %} without a collectstatic manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def user_make(username: str, *, team: bool) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    if team:
        # A transactional test's flush empties the group the data migration made; remake it.
        group, created = Group.objects.get_or_create(name=TEAM_GROUP)
        if created:
            app_label, codename = DASHBOARD_PERMISSION.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        user.groups.add(group)
    return user


@pytest.fixture
def team_user(db) -> User:
    return user_make("tess", team=True)


@pytest.fixture
def outsider(db) -> User:
    return user_make("otto", team=False)


def cents_sum() -> Cast:
    """SUM(spent) in whole cents, added up by the database as integers. SQLite's SUM over the
    decimal column adds floats (230 times $0.01 is 2.2899999...), and int(total * 100) then
    cuts a cent off: the check, not the page, was wrong."""
    return Cast(Sum(Cents("spent")), BigIntegerField())


def records_make(count: int, *, seed: int = 1) -> list[SpendRecord]:
    return records_create(records=spend_records_generate(rng=random.Random(seed), count=count))


def database_url() -> str:
    """The URL of the test database, for processes the tests start."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1", **extra}


Server = Daphne


def server_start(port: int = 0, **env: str) -> Server:
    """Daphne serving rtviz in its own process against the test database (port 0: any free),
    its log copied to the test output."""
    return daphne_start(env=process_env(**env), port=port, log=sys.stderr)


def server_stop(server: Server) -> None:
    process_stop(server.process)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> str:
    """Collected static files: without DEBUG, pages link to them through their manifest."""
    root = str(tmp_path_factory.mktemp("static"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": root},
        check=True,
    )
    return root


@pytest.fixture
def server(transactional_db) -> Iterator[Server]:
    started = server_start(DASHBOARD_TEST_HOOKS="1")
    yield started
    server_stop(started)


@pytest.fixture
def hooked() -> Iterator[list[Server]]:
    """Servers a test starts with settings of its own (tests.real_sockets.start); stopped after."""
    started: list[Server] = []
    yield started
    for server in started:
        server_stop(server)


@pytest.fixture
async def close_thread_connections():
    """Async tests reach the ORM through sync_to_async's worker thread, and the consumer
    through its summaries thread too; close their connections afterwards so PostgreSQL can
    drop the test database."""
    yield
    await sync_to_async(connections.close_all)()
    await asyncio.wrap_future(STATE.summaries_thread.submit(connections.close_all))
