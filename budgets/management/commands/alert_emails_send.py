"""Send the alert emails still pending (every try failed, or their sender stopped)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from budgets.emails import alert_emails_send


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{alert_emails_send()} alert emails sent.")
