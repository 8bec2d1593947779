from __future__ import annotations

from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"
    verbose_name = "Budgets and alerts"

    def ready(self) -> None:
        from budgets.services import spend_changed_receive
        from feeds.signals import spend_changed

        spend_changed.connect(spend_changed_receive, dispatch_uid="budgets.spend_changed")
