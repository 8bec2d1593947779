"""The budgets frame a change of records calls for, read once per process and write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from budgets.models import Period
from budgets.services import budget_create
from dashboard.budget_frames import budgets_frame_if_moved
from feeds.services import records_create
from tests.test_budgets_services import record

pytestmark = pytest.mark.django_db


def test_a_change_of_records_reads_the_budgets_their_cells_and_the_alerts_nothing_more():
    for period in Period.values:
        budget_create(name=period, amount=Decimal("100.00"), period=period)
    records_create(records=[record("Ben", "1.00")])
    shown: list = []
    with CaptureQueriesContext(connection) as queries:
        assert budgets_frame_if_moved(shown)
    assert len(queries) == 3, [q["sql"] for q in queries.captured_queries]
    records_create(records=[record("Ben", "2.00")])
    assert budgets_frame_if_moved(shown)
    assert budgets_frame_if_moved(shown) == ""  # nothing moved since


def test_no_frame_while_there_are_no_budgets_nor_alerts():
    records_create(records=[record("Ben", "1.00")])
    assert budgets_frame_if_moved([]) is None
