"""Reads for the dashboard page beyond the socket's history: one record in detail."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType

from feeds.models import SpendRecord

HISTORY_ENTRIES = 20  # the latest admin changes shown with a record
ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def record_detail_get(*, record_id: int) -> dict[str, Any] | None:
    """Every field of one record, money as decimal strings, with who changed it from the
    admin and when (newest first); None when there is no such record."""
    record = SpendRecord.objects.filter(pk=record_id).first()
    if record is None:
        return None
    entries = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(SpendRecord), object_id=str(record_id)
        )
        .select_related("user")
        .order_by("-action_time", "-id")[:HISTORY_ENTRIES]
    )
    return {
        "id": record.pk,
        "name": record.name,
        "spent": str(record.spent),
        "year": record.year,
        "pay_type": record.pay_type,
        "quantity": record.quantity,
        "total": str(record.total),
        "tip": str(record.tip),
        "created": record.created.isoformat(),
        "updated": record.updated.isoformat(),
        "history": [
            {
                "time": entry.action_time.isoformat(),
                "user": cast(AbstractBaseUser, entry.user).get_username(),
                "action": ACTIONS.get(entry.action_flag, "changed"),
                "message": entry.get_change_message(),
            }
            for entry in entries
        ],
    }
