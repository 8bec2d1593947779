"""Make the budgets' kept totals afresh from the records: after records were written around
feeds.services, or after TIME_ZONE changed (the periods' boundaries moved)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from budgets.totals import totals_rebuild


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Kept totals rebuilt from {totals_rebuild()} records.")
