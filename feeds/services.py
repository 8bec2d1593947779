"""Every write to spend records goes through here, so broadcasting hangs off one place."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from feeds.broadcast import records_broadcast
from feeds.models import SpendRecord


def records_create(*, records: Sequence[SpendRecord]) -> list[SpendRecord]:
    """Store a batch in one transaction; once committed, broadcast it as one message."""
    with transaction.atomic():
        created = SpendRecord.objects.bulk_create(records)
        transaction.on_commit(partial(records_broadcast, records=created))
    return created


def record_update(*, record: SpendRecord) -> SpendRecord:
    with transaction.atomic():
        record.save()
    return record


def records_delete(*, queryset: QuerySet[SpendRecord]) -> int:
    with transaction.atomic():
        deleted, _ = queryset.delete()
    return deleted
