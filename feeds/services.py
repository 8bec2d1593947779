"""Every write to spend records goes through here: each change gets a position in the
change sequence and is summed into the spend cells (feeds.cells), in the same transaction,
and is broadcast once committed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from functools import partial

from django.db import transaction
from django.db.models import F, QuerySet

from feeds.broadcast import changes_broadcast
from feeds.cells import cells_add, cells_outgrown_drop
from feeds.models import ChangeSequence, SpendDeletion, SpendRecord
from feeds.signals import VALUE_FIELDS, SpendValues, spend_changed, spend_changed_send

DELETE_CHUNK = 500  # ids per DELETE ... WHERE id IN (...), well inside SQLite's variable limit


def positions_allocate(*, count: int) -> int:
    """Reserve `count` consecutive positions and return the first.

    Call it inside the writing transaction: the UPDATE locks the sequence row until commit,
    so writers take turns and positions become visible in order — everything at or below
    the committed position is committed.
    """
    sequence = ChangeSequence.objects.filter(pk=ChangeSequence.ROW_ID)
    if not sequence.update(position=F("position") + count):
        # A database emptied after migrating (a test's flush): start a new epoch.
        ChangeSequence.objects.get_or_create(
            pk=ChangeSequence.ROW_ID, defaults={"epoch": uuid.uuid4().hex}
        )
        sequence.update(position=F("position") + count)
    return sequence.values_list("position", flat=True).get() - count + 1


def records_create(*, records: Sequence[SpendRecord]) -> list[SpendRecord]:
    """Store a batch in one transaction; once committed, broadcast it as one message."""
    if not records:
        return []
    with transaction.atomic():
        first = positions_allocate(count=len(records))
        for offset, record in enumerate(records):
            record.seq = first + offset
        created = SpendRecord.objects.bulk_create(records)
        cells_add("seq >= %s AND seq <= %s", [first, first + len(records) - 1])
        cells_outgrown_drop()
        if spend_changed.has_listeners():  # the extension point: feeds.signals
            spend_changed_send(added=[stored_values(r) for r in created], removed=[])
        transaction.on_commit(partial(changes_broadcast, upserts=created))
    return created


def record_update(*, record: SpendRecord) -> SpendRecord:
    with transaction.atomic():
        record.seq = positions_allocate(count=1)
        cells_add("id = %s", [record.pk], sign=-1)  # as it was stored
        before = values_stored(SpendRecord.objects.filter(pk=record.pk))
        record.save()
        if spend_changed.has_listeners():
            spend_changed_send(added=[stored_values(record)], removed=before)
        cells_add("id = %s", [record.pk])
        cells_outgrown_drop()
        transaction.on_commit(partial(changes_broadcast, upserts=[record]))
    return record


def records_delete(*, queryset: QuerySet[SpendRecord]) -> int:
    with transaction.atomic():
        ids = list(queryset.order_by("id").values_list("id", flat=True))
        if not ids:
            return 0
        first = positions_allocate(count=len(ids))
        deletions = SpendDeletion.objects.bulk_create(
            SpendDeletion(seq=first + offset, record_id=record_id)
            for offset, record_id in enumerate(ids)
        )
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK]
            cells_add(f"id IN ({', '.join(['%s'] * len(chunk))})", chunk, sign=-1)
            if spend_changed.has_listeners():
                removed = values_stored(SpendRecord.objects.filter(id__in=chunk))
                spend_changed_send(added=[], removed=removed)
            SpendRecord.objects.filter(id__in=chunk).delete()
        transaction.on_commit(partial(changes_broadcast, deletions=deletions))
    return len(ids)


def stored_values(record: SpendRecord) -> SpendValues:
    return SpendValues(*(getattr(record, field) for field in VALUE_FIELDS))


def values_stored(queryset: QuerySet[SpendRecord]) -> list[SpendValues]:
    """The records' values as stored (before an update or a delete), when anyone listens."""
    if not spend_changed.has_listeners():
        return []
    return [SpendValues(*row) for row in queryset.values_list(*VALUE_FIELDS)]
