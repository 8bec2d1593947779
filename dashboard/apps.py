from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self) -> None:
        from dashboard import checks, signals  # noqa: F401 - registers checks, connects receivers
        from feeds.broadcast import broadcast_finished

        broadcast_finished.connect(broadcast_counted, dispatch_uid="rtviz-broadcast-metrics")


def broadcast_counted(*, sent: bool, **kwargs: Any) -> None:
    from rtviz import metrics

    metrics.broadcast_done(sent=sent)
