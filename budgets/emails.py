"""Alert emails to the team, sent after the write commits, off the writer's thread.

An alert is stored before its email is tried (AlertEvent.emailed is empty until it is sent),
so a failed email is never lost: it is logged, retried with a growing pause, and left pending
for the next sender (the next alert's, or `manage.py alert_emails_send`) if every try fails.
A sender claims an alert for a while before sending, so two processes never send it twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from budgets.models import AlertEvent
from dashboard.access import TEAM_GROUP

CLAIM = timedelta(minutes=5)  # longer than every try of one email takes

logger = logging.getLogger(__name__)


def alert_recipients() -> list[str]:
    users = (
        get_user_model().objects.filter(is_active=True, groups__name=TEAM_GROUP).exclude(email="")
    )
    return sorted(set(users.values_list("email", flat=True)))


def alert_message(alert: AlertEvent) -> tuple[str, str]:
    budget = alert.budget
    # One line whatever the name holds (a budget stored before names were checked): a line
    # break in a header makes Django refuse the whole email, so the alert would never go.
    name = " ".join(budget.name.split())
    subject = f"[rtviz] {name}: {alert.get_threshold_display()}"
    zone = timezone.get_default_timezone()
    body = (
        f"Budget {budget.name!r} ({budget.get_period_display().lower()}ly, "
        f"{alert.amount} a period) reached {alert.get_threshold_display()}: "
        f"{alert.value} in the period from {alert.period_start.astimezone(zone):%Y-%m-%d} "
        f"({zone}).\nRaised at {alert.raised.astimezone(zone):%Y-%m-%d %H:%M:%S}."
    )
    return subject, body


def alert_claim(alert_id: int) -> AlertEvent | None:
    """Make this sender the alert's only one for a while; None if it is sent or claimed."""
    now = timezone.now()
    claimed = AlertEvent.objects.filter(
        Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now),
        pk=alert_id,
        emailed__isnull=True,
    ).update(email_claimed_until=now + CLAIM)
    return AlertEvent.objects.select_related("budget").get(pk=alert_id) if claimed else None


def alert_email_send(*, alert: AlertEvent, retries: int, pause: float) -> bool:
    """Send one alert's email, trying again after a growing pause; record how it went."""
    subject, body = alert_message(alert)
    recipients = alert_recipients()
    for attempt in range(1, retries + 1):
        alert.email_attempts += 1
        try:
            if recipients:
                send_mail(subject, body, None, recipients)
        except Exception as error:  # any backend's failure: SMTP, DNS, a refused login
            alert.email_error = f"{type(error).__name__}: {error}"
            logger.warning(
                "Alert %s: email try %d of %d failed: %s", alert.pk, attempt, retries, error
            )
            if attempt < retries:
                time.sleep(pause * 2 ** (attempt - 1))
            continue
        alert.emailed, alert.email_error = timezone.now(), ""
        alert.save(update_fields=["emailed", "email_error", "email_attempts"])
        return True
    alert.email_claimed_until = None  # the next sender may try again
    alert.save(update_fields=["email_error", "email_attempts", "email_claimed_until"])
    logger.error("Alert %s: email not sent after %d tries; it stays pending.", alert.pk, retries)
    return False


def alert_emails_send(*, alert_ids: Sequence[int] | None = None) -> int:
    """Send the given alerts' emails and every other pending one; returns the number sent."""
    pending = set(AlertEvent.objects.filter(emailed__isnull=True).values_list("pk", flat=True))
    sent = 0
    for alert_id in sorted(pending | set(alert_ids or ())):
        alert = alert_claim(alert_id)
        if alert is not None:
            sent += alert_email_send(
                alert=alert,
                retries=settings.ALERT_EMAIL_TRIES,
                pause=settings.ALERT_EMAIL_RETRY_SECONDS,
            )
    return sent


def alert_emails_send_soon(*, alert_ids: Sequence[int]) -> None:
    """On commit: send in a thread of its own, so a slow or failing mail server never holds up
    the writer (the generator's next batch, an admin's save)."""

    def send() -> None:
        try:
            alert_emails_send(alert_ids=alert_ids)
        except Exception:
            logger.exception("Alert emails: the sender failed; they stay pending.")
        finally:
            connection.close()

    # Not a daemon: a generator that stops (--count, Ctrl-C) finishes its emails first.
    thread = threading.Thread(target=send, name="alert-emails")
    thread.start()
    senders.append(thread)
    del senders[:-16]


senders: list[threading.Thread] = []  # the latest, so tests and shutdowns can wait for them
