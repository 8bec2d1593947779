"""The promise: at rest, an open dashboard shows exactly what the database holds — after
edits, deletes, a Redis outage and a server restart."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from feeds.generator import spend_records_generate
from feeds.models import PayType, SpendRecord
from feeds.services import record_update, records_create, records_delete
from harness.redis import redis_start
from tests.conftest import (
    ROOT,
    process_env,
    server_start,
    server_stop,
)
from tests.e2e.conftest import (
    assert_page_matches_database,
    forgive_reconnect_noise,
    in_thread,
    open_dashboard,
    records_make,
    restart,
)
from tests.test_admin import change_url, form_data

CHANGELIST = reverse("admin:feeds_spendrecord_changelist")
PROGRESS = r"(\d+) batch(?:es)? broadcast, "  # generate_spend's progress line


def storm(operations: int, seed: int) -> None:
    """Mixed creates, edits and deletes, through the admin's forms and through the service."""
    rng = random.Random(seed)
    admin = Client()
    admin.force_login(User.objects.create_superuser("storm-admin", password="x"))
    for _ in range(operations):
        ids = list(SpendRecord.objects.values_list("id", flat=True))
        action = rng.random()
        if action < 0.35 or len(ids) < 5:
            records_create(records=spend_records_generate(rng=rng, count=rng.randint(1, 5)))
        elif action < 0.55:  # an edit through the admin's change form
            record = SpendRecord.objects.get(pk=rng.choice(ids))
            changes = {"spent": f"{rng.randint(0, 20000) / 100:.2f}", "name": rng.choice("ABC")}
            response = admin.post(change_url(record), form_data(record, **changes))
            assert response.status_code == 302
        elif action < 0.7:
            record = SpendRecord.objects.get(pk=rng.choice(ids))
            record.pay_type = rng.choice(PayType.values)
            record.year = rng.randint(2012, 2016)
            record_update(record=record)
        elif action < 0.85:  # the admin's bulk delete action
            chosen = rng.sample(ids, rng.randint(1, 3))
            response = admin.post(
                CHANGELIST,
                {"action": "delete_selected", "_selected_action": chosen, "post": "yes"},
            )
            assert response.status_code == 302
        else:
            records_delete(queryset=SpendRecord.objects.filter(pk=rng.choice(ids)))


def test_a_storm_of_creates_edits_and_deletes_ends_with_the_page_equal_to_the_database(page):
    records_make(50)
    assert_page_matches_database(page)

    in_thread(lambda: storm(200, seed=11))

    assert_page_matches_database(page)
    page.wait_for_function("document.getElementById('dashboard').dataset.state === 'live'")


@pytest.mark.parametrize("server_env", [{"DASHBOARD_HISTORY_RAW_LIMIT": "10"}])
def test_a_summarised_history_stays_exact_through_a_storm(anonymous_page, server, team_user):
    records_make(60)  # before the page opens: 50 of them arrive summarised
    open_dashboard(anonymous_page, server, team_user)
    assert_page_matches_database(anonymous_page)
    assert anonymous_page.locator("#table-latest .dc-table-row").count() == 10

    # Edits and deletes inside the summary make the page start over from the database.
    in_thread(lambda: storm(100, seed=12))

    assert_page_matches_database(anonymous_page)


@pytest.fixture
def own_redis() -> Iterator[str]:
    """A Redis of this test's own, to stop and start without disturbing anyone else's."""
    redis, url = redis_start()
    yield url
    redis.terminate()
    redis.wait(timeout=10)


def wait_for_line(process: subprocess.Popen[str], pattern: str) -> re.Match[str]:
    assert process.stdout is not None
    for line in process.stdout:
        if match := re.search(pattern, line):
            return match
    raise AssertionError(f"{process.args[0]} ended before printing {pattern!r}")


def test_a_redis_outage_loses_nothing_and_the_page_catches_up_without_reload(
    server, anonymous_page, team_user, own_redis, static_root, console_errors
):
    # This test's server talks to this test's Redis.
    server_stop(server)
    port_redis = own_redis.rsplit(":", 1)[1].split("/")[0]
    server.process = server_start(
        port=server.port, STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1", REDIS_URL=own_redis
    ).process
    page = anonymous_page
    open_dashboard(page, server, team_user)
    page.evaluate("window.notReloaded = true")
    generator = subprocess.Popen(
        [sys.executable, "manage.py", "generate_spend", "--rate", "50"],
        cwd=ROOT,
        env=process_env(REDIS_URL=own_redis),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(generator, r"[1-9]\d* batch(?:es)? broadcast")
        subprocess.run(["redis-cli", "-p", port_redis, "shutdown", "nosave"], check=False)
        # A few seconds of outage: 30 failed batches at 10 a second.
        outage = wait_for_line(generator, PROGRESS + r"([3-9]\d|\d{3,}) broadcast failures")
        restarted = subprocess.Popen(
            ["redis-server", "--port", port_redis, "--save", "", "--bind", "127.0.0.1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        wait_for_line(restarted, "Ready to accept connections")
        while wait_for_line(generator, PROGRESS).group(1) == outage.group(1):
            continue  # until batches are broadcast again
        generator.send_signal(signal.SIGINT)  # Ctrl-C: a clean stop with a summary
        written = int(wait_for_line(generator, r"Done: (\d+) records written").group(1))
        assert generator.wait(timeout=30) == 0
        assert SpendRecord.objects.count() == written  # nothing lost from the database
        assert_page_matches_database(page, timeout_ms=30_000)
        assert page.evaluate("window.notReloaded") is True
    finally:
        generator.kill()
        subprocess.run(["redis-cli", "-p", port_redis, "shutdown", "nosave"], check=False)
    forgive_reconnect_noise(console_errors)


def test_the_page_matches_the_database_after_edits_and_a_server_restart(
    page, server, static_root, console_errors
):
    created = records_make(20)
    assert_page_matches_database(page)

    restart(server, static_root)
    records_make(5, seed=6)
    edited = created[3]
    edited.spent = Decimal("0.01")
    in_thread(lambda: record_update(record=edited))

    assert_page_matches_database(page)
    forgive_reconnect_noise(console_errors)
