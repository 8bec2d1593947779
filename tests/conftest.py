from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.db import connection, connections
from django.test import Client

from dashboard.access import DASHBOARD_PERMISSION, TEAM_GROUP
from dashboard.consumers import SUMMARIES_THREAD
from feeds.generator import spend_records_generate
from feeds.models import SpendRecord
from feeds.services import records_create

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


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


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


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/dashboard/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_start(port: int = 0, **env: str) -> Server:
    """Daphne serving rtviz in its own process against the test database (port 0: any free)."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "rtviz.asgi:application",
        ],
        cwd=ROOT,
        env=process_env(**env),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # daphne logs the bound port once it listens
        if match := re.search(r"Listening on TCP address [\d.]+:(\d+)", line):
            # Keep reading its log to the test output, so a full pipe never blocks the server.
            threading.Thread(target=shutil.copyfileobj, args=(process.stderr, sys.stderr)).start()
            return Server(process, int(match.group(1)))
    raise RuntimeError(f"daphne exited with {process.wait()} before listening")


def server_stop(server: Server) -> None:
    server.process.terminate()
    server.process.wait(timeout=10)


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
    started = server_start()
    yield started
    server_stop(started)


@pytest.fixture
async def close_thread_connections():
    """Async tests reach the ORM through sync_to_async's worker thread, and the consumer
    through its summaries thread too; close their connections afterwards so PostgreSQL can
    drop the test database."""
    yield
    await sync_to_async(connections.close_all)()
    await asyncio.wrap_future(SUMMARIES_THREAD.submit(connections.close_all))
