"""The date window (feeds.validators): records at its edges reach a page alike through a full
history and through a replay, and records outside it are refused, so both pages show exactly
what the database holds (issue 12: a record from 1969 was missing from full histories only)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from feeds.generator import spend_records_generate
from feeds.services import records_create
from feeds.validators import CREATED_MIN
from tests.conftest import server_start, server_stop
from tests.e2e.conftest import (
    assert_page_matches_database,
    forgive_reconnect_noise,
    in_thread,
    live,
    open_dashboard,
)


def edge_records_write() -> int:
    """Records at the window's edges, then just outside it, one write each; how many stored."""
    now = timezone.now()
    moments = [
        CREATED_MIN,
        CREATED_MIN + timedelta(microseconds=1),
        now - timedelta(minutes=5),
        now + timedelta(hours=23, minutes=59),
        # Outside: refused. Before the window existed all four were stored, and the last,
        # among the latest records that a full history sends whole, was missing from it.
        CREATED_MIN - timedelta(microseconds=1),
        datetime(9999, 12, 31, tzinfo=UTC),
        now + timedelta(days=1, minutes=1),
        datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    records = spend_records_generate(rng=random.Random(21), count=len(moments))
    stored = 0
    for record, moment in zip(records, moments, strict=True):
        record.created = moment
        try:
            records_create(records=[record])
            stored += 1
        except ValidationError:
            pass
    return stored


SUMMARISING = {"DASHBOARD_HISTORY_RAW_LIMIT": "2"}  # all but the latest two go summarised


@pytest.mark.parametrize("server_env", [SUMMARISING])
def test_a_full_history_and_a_replay_agree_with_the_database_at_the_windows_edges(
    anonymous_page, browser, server, team_user, static_root, console_errors
):
    replayed = anonymous_page
    open_dashboard(replayed, server, team_user)
    server_stop(server)  # the open page misses the writes, then replays them

    stored = in_thread(edge_records_write)
    server.process = server_start(
        port=server.port, STATIC_ROOT=static_root, DASHBOARD_TEST_HOOKS="1", **SUMMARISING
    ).process
    live(replayed)
    fresh = browser.new_context().new_page()  # a full history, part of it summarised
    open_dashboard(fresh, server, team_user)

    assert_page_matches_database(replayed)
    assert_page_matches_database(fresh)
    assert stored == 4
    fresh.context.close()
    forgive_reconnect_noise(console_errors)
