"""Browser tests: Debian's Chromium, driven by Playwright, against a daphne process serving
collected (hashed, compressed) static files, on the test database and a real Redis."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import connections
from django.db.models import Count
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from feeds.models import SpendRecord
from harness.chromium import chromium_launch, cookie_add
from tests import conftest
from tests.conftest import Server, cents_sum, server_start, server_stop, session_cookie

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# around it are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

T = TypeVar("T")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = chromium_launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def server_env() -> dict[str, str]:
    """More settings for the server: a test parametrizes it to override."""
    return {}


@pytest.fixture
def server(transactional_db, static_root, server_env) -> Iterator[Server]:
    started = server_start(STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1", **server_env)
    yield started
    server_stop(started)


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def anonymous_page(browser, server, console_errors) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    # Warnings too: normal use prints nothing to the console (a deprecation once did).
    page.on(
        "console",
        lambda m: m.type in ("error", "warning") and console_errors.append(f"{m.type}: {m.text}"),
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    assert console_errors == []


@pytest.fixture
def page(anonymous_page, server, team_user) -> Page:
    """A team member's dashboard, open and live."""
    open_dashboard(anonymous_page, server, team_user)
    return anonymous_page


def open_dashboard(page: Page, server: Server, user: Any) -> None:
    """Log `user` in (a session cookie, not the form) and wait for the dashboard to be live."""
    cookie_add(page.context, session_cookie(user), server.url)
    page.goto(server.url)
    live(page)


def in_thread(function: Callable[[], T]) -> T:
    """Run ORM writes in a thread of their own: the broadcast's async_to_sync cannot run in
    this thread, where Playwright's event loop runs."""

    def run() -> T:
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def records_make(count: int, *, seed: int = 1) -> list[SpendRecord]:
    return in_thread(lambda: conftest.records_make(count, seed=seed))


def database_totals() -> dict[str, object]:
    """The database's GROUP BY totals, in cents, shaped like the page's window.rtvizTotals()."""

    def by(field: str) -> dict[str, int]:
        rows = SpendRecord.objects.values_list(field).annotate(spend=cents_sum()).order_by()
        return {str(key): spend for key, spend in rows if spend}

    total = SpendRecord.objects.aggregate(count=Count("id"), spent=cents_sum())
    return {
        "byName": by("name"),
        "byPayType": by("pay_type"),
        "byYear": by("year"),
        "count": total["count"],
        "spent": total["spent"] or 0,
    }


PAGE_MATCHES_JS = """(expected) => {
const canon = (v) => (v && typeof v === 'object')
  ? '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  : JSON.stringify(v);
return canon(window.rtvizTotals()) === canon(expected);
}"""


def assert_page_matches_database(page: Page, timeout_ms: float = 20_000) -> None:
    """The invariant: at rest, the page's totals per year, person and pay type and its record
    count equal the database's, to the cent. Waits for the page to come to rest."""
    expected = database_totals()
    try:
        page.wait_for_function(
            PAGE_MATCHES_JS,
            arg=expected,
            timeout=timeout_ms,
        )
    except PlaywrightTimeoutError:
        assert page.evaluate("window.rtvizTotals()") == expected


def forgive_reconnect_noise(console_errors: list[str]) -> None:
    """While a server or Redis is down, Chromium itself logs each failed reconnect attempt;
    those are expected there, and nothing else may be logged."""
    console_errors[:] = [e for e in console_errors if not re.search(r"WebSocket connection", e)]


def live(page: Page) -> None:
    page.locator("#dashboard[data-state=live]").wait_for()


def restart(server: Server, static_root: str) -> None:
    """Stop the server and start another on the same port, in place (the fixture stops it)."""
    server_stop(server)
    server.process = server_start(
        port=server.port, STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1"
    ).process
