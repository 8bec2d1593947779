"""Browser tests: Debian's Chromium, driven by Playwright, against a daphne process serving
collected (hashed, compressed) static files, on the test database and a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

from tests import conftest
from tests.conftest import ROOT, Server, server_start, server_stop, session_cookie

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def static_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp("static"))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": root},
        check=True,
    )
    return root


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(transactional_db, static_root) -> Iterator[Server]:
    started = server_start(STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1")
    yield started
    server_stop(started)


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def anonymous_page(browser, server, console_errors) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    assert console_errors == []


@pytest.fixture
def page(anonymous_page, server, team_user) -> Page:
    """A team member's dashboard, open and live."""
    name, value = session_cookie(team_user).split("=", 1)
    anonymous_page.context.add_cookies([{"name": name, "value": value, "url": server.url}])
    anonymous_page.goto(server.url)
    live(anonymous_page)
    return anonymous_page


def records_make(count: int, *, seed: int = 1) -> None:
    """Write records through the service, from a thread of their own: the broadcast's
    async_to_sync cannot run in this thread, where Playwright's event loop runs."""

    def write() -> None:
        try:
            conftest.records_make(count, seed=seed)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(write).result()


def live(page: Page) -> None:
    page.locator("#dashboard[data-state=live]").wait_for()


def restart(server: Server, static_root: str) -> None:
    """Stop the server and start another on the same port, in place (the fixture stops it)."""
    server_stop(server)
    server.process = server_start(
        port=server.port, STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1"
    ).process
