"""Exactly-once alerts across processes: two daphne servers with a dashboard each, a
generator that stops and starts again, and a real SMTP server for the emails."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.db.models import Sum
from websockets.asyncio.client import connect

from budgets.models import AlertEvent, Period, Threshold
from budgets.services import budget_create
from feeds.models import SpendRecord
from tests.conftest import (
    ROOT,
    free_port,
    process_env,
    server_start,
    server_stop,
    session_cookie,
)
from tests.test_budgets_emails import Inbox, team_with_email

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_thread_connections"),
]


async def generate(count: int, seed: int, **env: str) -> None:
    generator = await asyncio.create_subprocess_exec(
        sys.executable, "manage.py", "generate_spend", "--count", str(count), "--rate", "50",
        "--batch", "1", "--seed", str(seed), cwd=ROOT, env=process_env(**env),
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await generator.wait() == 0


async def budgets_until(socket, done) -> dict:
    """Read frames until a budgets frame satisfies `done`."""
    deadline = time.monotonic() + 30
    while True:
        timeout = deadline - time.monotonic()
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=timeout))
        if frame["type"] == "budgets" and done(frame):
            return frame


def stored() -> tuple[int, list[int], list[str]]:
    spent = SpendRecord.objects.aggregate(total=Sum("spent"))["total"]
    alerts = AlertEvent.objects.order_by("id")
    return (
        int(spent.scaleb(2)),
        list(alerts.values_list("id", flat=True)),
        list(alerts.values_list("threshold", flat=True)),
    )


async def test_each_alert_is_raised_shown_and_emailed_once_across_processes_and_restarts():
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    servers = [server_start(), server_start()]
    try:
        member = await sync_to_async(team_with_email)()
        budget = await sync_to_async(budget_create)(
            name="Team", amount=Decimal("150.00"), period=Period.MONTH
        )
        cookie = await sync_to_async(session_cookie)(member)
        sockets = [
            await connect(s.ws_url, origin=s.url, additional_headers={"Cookie": cookie})
            for s in servers
        ]
        for socket in sockets:  # on connect: the budgets, nothing spent yet
            frame = await budgets_until(socket, lambda f: True)
            assert frame["budgets"][0]["spent"] == 0 and frame["alerts"] == []
        email_env = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp.port),
            "ALERT_EMAIL_RETRY_SECONDS": "0",
        }
        await generate(3, seed=1, **email_env)
        await generate(8, seed=2, **email_env)  # the generator again, a new process
        spent, alert_ids, thresholds = await sync_to_async(stored)()

        assert spent > 150_00  # the premise: the spend crossed every actual threshold
        assert sorted(thresholds) == sorted(set(thresholds))
        assert {Threshold.ACTUAL_80, Threshold.ACTUAL_100} <= set(thresholds)
        for socket in sockets:  # every dashboard, on either server, ends on the truth
            frame = await budgets_until(
                socket, lambda f: f["budgets"][0]["spent"] == spent and f["alerts"]
            )
            assert sorted(a["id"] for a in frame["alerts"]) == alert_ids
            assert frame["budgets"][0]["id"] == budget.pk
        for socket in sockets:
            await socket.close()
        deadline = time.monotonic() + 30
        while len(inbox.envelopes) < len(alert_ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a second email for any alert would have come by now
        subjects = sorted(
            line for e in inbox.envelopes for line in e.content.split(b"\n") if b"Subject" in line
        )
        assert len(subjects) == len(alert_ids) == len(set(subjects))
        assert all(e.rcpt_tos == ["tess@example.com"] for e in inbox.envelopes)
    finally:
        for server in servers:
            server_stop(server)
        smtp.stop()


async def test_a_budget_made_and_deleted_reaches_an_open_dashboard(server, team_user):
    from budgets.models import Budget
    from budgets.services import budget_delete
    from tests.conftest import records_make

    cookie = await sync_to_async(session_cookie)(team_user)
    headers = {"Cookie": cookie}
    async with connect(server.ws_url, origin=server.url, additional_headers=headers) as socket:
        while (
            json.loads(await asyncio.wait_for(socket.recv(), timeout=20))["type"] != "history_end"
        ):
            continue
        await sync_to_async(records_make)(3)  # no budgets: changes, and no budgets frame
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
        assert frame["type"] == "changes"
        await sync_to_async(budget_create)(name="Team", amount=Decimal("10.00"), period="week")
        made = await budgets_until(socket, lambda f: True)
        assert [b["name"] for b in made["budgets"]] == ["Team"]
        budget = await sync_to_async(Budget.objects.get)()
        await sync_to_async(budget_delete)(budget=budget)
        gone = await budgets_until(socket, lambda f: True)
        assert gone["budgets"] == [] and gone["alerts"] == []


async def test_records_that_move_no_budget_send_no_budgets_frame(server, team_user):
    """A write that changes nothing the budgets panel shows sends the page its records only:
    no budgets frame (dashboard.budget_frames)."""
    from feeds.services import records_create
    from tests.test_budgets_services import record

    await sync_to_async(budget_create)(
        name="Ben", amount=Decimal("1000.00"), period=Period.MONTH, person="Ben"
    )
    cookie = await sync_to_async(session_cookie)(team_user)
    headers = {"Cookie": cookie}
    async with connect(server.ws_url, origin=server.url, additional_headers=headers) as socket:
        await budgets_until(socket, lambda f: True)  # on connect
        await sync_to_async(records_create)(records=[record("Ben", "3.00")])
        await budgets_until(socket, lambda f: f["budgets"][0]["spent"] == 300)
        await sync_to_async(records_create)(records=[record("Aziz", "5.00")])
        # Its records' frame comes after the process read the budgets for it (dashboard.relay
        # reads before the pass); writing Ben's before that would let the read see Ben's too.
        kinds = [json.loads(await asyncio.wait_for(socket.recv(), timeout=20))["type"]]
        await sync_to_async(records_create)(records=[record("Ben", "7.00")])
        while kinds[-1] != "budgets":
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=20))
            kinds.append(frame["type"])
        assert kinds == ["changes", "changes", "budgets"]
        assert frame["budgets"][0]["spent"] == 1000
