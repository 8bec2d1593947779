"""Redis failover under load: the master dies while generate_spend writes 100 records a second
and two dashboards are open; the sentinels promote the replica; the generator keeps storing,
broadcasting resumes, and both pages end equal to the database."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from deploy.redis_sentinel import (
    SentinelSet,
    master_kill,
    promotion_wait,
    sentinel_set_start,
    sentinel_set_stop,
)
from feeds.models import SpendRecord
from tests.conftest import ROOT, process_env
from tests.e2e.conftest import assert_page_matches_database, forgive_reconnect_noise, open_dashboard

PROGRESS = re.compile(r"(\d+) records written .* (\d+) batches broadcast, (\d+) broadcast failures")
COUNT_ABOVE = "(count) => window.rtvizTotals().count > count"  # a function: the CSP forbids eval


@pytest.fixture
def sentinels(tmp_path) -> Iterator[SentinelSet]:
    started = sentinel_set_start(tmp_path)
    yield started
    sentinel_set_stop(started)


@pytest.fixture
def server_env(sentinels) -> dict[str, str]:
    return sentinels.env()


def progress(path) -> tuple[int, int, int]:
    """generate_spend's last progress line: (written, broadcast, failed)."""
    lines = PROGRESS.findall(path.read_text())
    return tuple(int(value) for value in lines[-1]) if lines else (0, 0, 0)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_the_master_dies_under_load_and_both_pages_end_equal_to_the_database(
    sentinels, server, page, browser, team_user, console_errors, tmp_path
):
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    open_dashboard(other, server, team_user)
    log = tmp_path / "generator.log"
    with log.open("w") as output:
        generator = subprocess.Popen(
            [sys.executable, "manage.py", "generate_spend", "--rate", "100"],
            cwd=ROOT, env=process_env(**sentinels.env()), stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        for dashboard in (page, other):
            dashboard.wait_for_function(COUNT_ABOVE, arg=100, timeout=60_000)

        master_kill(sentinels)
        stored_at_kill = SpendRecord.objects.count()
        promotion_wait(sentinels)
        broadcast_at_promotion = progress(log)[1]
        # Broadcasting resumes through the promoted replica, and the records stored meanwhile
        # (the database never stopped) reach both pages.
        wait_until(lambda: progress(log)[1] > broadcast_at_promotion + 20)
        for dashboard in (page, other):
            dashboard.wait_for_function(COUNT_ABOVE, arg=stored_at_kill + 200, timeout=60_000)
    finally:
        generator.terminate()
        generator.wait(timeout=15)

    written, _, failed = progress(log)
    assert written > stored_at_kill  # it kept storing
    assert failed > 0  # through the outage, each batch's broadcast failed and was counted
    assert SpendRecord.objects.count() >= written
    for dashboard in (page, other):
        assert_page_matches_database(dashboard, timeout_ms=30_000)
    other.context.close()
    forgive_reconnect_noise(console_errors)
