"""Alert emails: to the team's members, once, retried on failure, never holding up a write."""

from __future__ import annotations

import socket
import time
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core import mail

from budgets import emails
from budgets.emails import alert_emails_send
from budgets.models import AlertEvent, Budget, Period, Threshold
from budgets.services import budget_create
from feeds.models import SpendRecord
from feeds.services import records_create
from tests.conftest import free_port, user_make
from tests.test_budgets_services import record


def team_with_email() -> User:
    member = user_make("tess", team=True)
    member.email = "tess@example.com"
    member.save()
    outsider = user_make("otto", team=False)
    outsider.email = "otto@example.com"
    outsider.save()
    return member


def alert_make() -> AlertEvent:
    budget = budget_create(name="Ben's", amount=Decimal("100.00"), period=Period.YEAR)
    records_create(records=[record("Ben", "85.00")])
    return AlertEvent.objects.get(budget=budget, threshold=Threshold.ACTUAL_80)


def senders_join() -> None:
    for thread in emails.senders:
        thread.join(timeout=60)


@pytest.mark.django_db
def test_an_alert_is_emailed_once_to_the_team_members():
    team_with_email()
    alert = alert_make()
    assert alert_emails_send() == 1
    assert alert_emails_send() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["tess@example.com"]
    assert "Ben's" in mail.outbox[0].subject and "80 % spent" in mail.outbox[0].subject
    assert "85.00" in mail.outbox[0].body
    alert.refresh_from_db()
    assert alert.emailed is not None and alert.email_attempts == 1


@pytest.mark.django_db
def test_a_failing_mail_server_is_retried_and_the_alert_stays_pending_until_sent(settings):
    team_with_email()
    alert = alert_make()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.ALERT_EMAIL_RETRY_SECONDS = 0
    assert alert_emails_send() == 0
    alert.refresh_from_db()
    assert alert.emailed is None
    assert alert.email_attempts == settings.ALERT_EMAIL_TRIES
    assert "ConnectionRefusedError" in alert.email_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # it is back
    assert alert_emails_send() == 1
    assert len(mail.outbox) == 1


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_write_that_raises_an_alert_emails_it_through_a_real_smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        team_with_email()
        alert_make()  # the write commits; its email goes from a thread of its own
        wait_for(lambda: inbox.envelopes)
        senders_join()
    finally:
        controller.stop()
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["tess@example.com"]
    assert b"Subject: [rtviz] Ben's: 80 % spent" in envelope.content
    assert AlertEvent.objects.get().emailed is not None


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_hangs_does_not_hold_up_the_write(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.ALERT_EMAIL_RETRY_SECONDS = 0
    settings.EMAIL_TIMEOUT = 60
    with socket.socket() as silent:  # accepts connections (the backlog) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
        team_with_email()
        alert_make()
        # The write has returned, committed, while its email is still waiting on the server.
        assert SpendRecord.objects.count() == 1
        assert emails.senders[-1].is_alive()
        assert AlertEvent.objects.get().emailed is None
    senders_join()  # the listener closed: the tries fail, and the alert stays pending
    alert = AlertEvent.objects.get()
    assert alert.emailed is None and alert.email_error


@pytest.mark.django_db
def test_a_budget_stored_with_a_line_break_in_its_name_is_still_emailed():
    """Budgets saved before names were checked: the subject is one line, never a failed send."""
    team_with_email()
    alert = alert_make()
    Budget.objects.filter(pk=alert.budget_id).update(name="Ben's\r\nBcc: someone@example.com")

    assert alert_emails_send() == 1

    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.subject.startswith("[rtviz] Ben's Bcc: someone@example.com")
    assert message.bcc == [] and message.to == ["tess@example.com"]
