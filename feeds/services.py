"""Every write to spend records goes through here: each change gets a position in the
change sequence and is summed into the spend cells (feeds.cells), in the same transaction,
and is broadcast once committed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from functools import partial

from django.db import transaction
from django.db.models import F, Q, QuerySet

from feeds.broadcast import changes_broadcast
from feeds.bulk import records_by_external_id, records_insert
from feeds.cells import cells_add, cells_span_follow
from feeds.models import SOURCE_GENERATOR, ChangeSequence, SpendDeletion, SpendRecord
from feeds.signals import VALUE_FIELDS, SpendValues, spend_changed, spend_changed_send
from feeds.validators import created_window_check

DELETE_CHUNK = 500  # ids per DELETE ... WHERE id IN (...), well inside SQLite's variable limit

# Called in the writing transaction once it holds the sequence lock, before anything is
# written: raising there writes nothing (the API checks that its token is still valid, so a
# request queued behind others is refused once its token is revoked).
Guard = Callable[[], None]


def sequence_lock() -> None:
    """Take the change sequence's lock, which every writer takes, for the rest of the
    transaction: writers then run one at a time, so what one reads stays true until it commits."""
    sequence = ChangeSequence.objects.filter(pk=ChangeSequence.ROW_ID)
    if not sequence.update(position=F("position")):
        # No row to lock yet (a database emptied after migrating): make it, then lock it.
        ChangeSequence.objects.get_or_create(
            pk=ChangeSequence.ROW_ID, defaults={"epoch": uuid.uuid4().hex}
        )
        sequence.update(position=F("position"))


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


def records_create(
    *,
    records: Sequence[SpendRecord],
    source: str = SOURCE_GENERATOR,
    guard: Guard | None = None,
) -> list[SpendRecord]:
    """Store a batch from `source` in one transaction; once committed, broadcast it as one
    message.

    Idempotent by external id: a record whose (source, external_id) is stored already, or
    came earlier in the batch, is not written again; the stored one takes its place in the
    answer (so `answer[i] is records[i]` tells a record written now).
    """
    if not records:
        return []
    # The date window's upper end moves with the clock, so no CHECK can hold it.
    created_window_check([record.created for record in records])
    with transaction.atomic():
        sequence_lock()
        if guard is not None:
            guard()
        answer = list(records)
        for record in answer:
            record.source = source
        stored = stored_by_external_id(source=source, records=answer)
        new: list[SpendRecord] = []
        for index, record in enumerate(answer):
            if record.external_id is not None and record.external_id in stored:
                answer[index] = stored[record.external_id]
            else:
                new.append(record)
                if record.external_id is not None:
                    stored[record.external_id] = record
        if new:
            first = positions_allocate(count=len(new))
            for offset, record in enumerate(new):
                record.seq = first + offset
            created = records_insert(records=new)
            sizes = cells_add(Q(seq__gte=first, seq__lte=first + len(new) - 1))
            cells_span_follow(sizes=sizes)
            if spend_changed.has_listeners():  # the extension point: feeds.signals
                spend_changed_send(added=[stored_values(r) for r in created], removed=[])
            transaction.on_commit(partial(changes_broadcast, upserts=created))
    return answer


def stored_by_external_id(*, source: str, records: Sequence[SpendRecord]) -> dict[str, SpendRecord]:
    """The stored records of `source` with the external ids of `records`."""
    wanted = list({r.external_id for r in records if r.external_id is not None})
    if not wanted:
        return {}
    stored = records_by_external_id(source=source, external_ids=wanted)
    return {r.external_id: r for r in stored if r.external_id is not None}


def record_update(*, record: SpendRecord, guard: Guard | None = None) -> SpendRecord:
    """Store a changed record; its source and external id stay what they were.
    SpendRecord.DoesNotExist if it was deleted since it was read."""
    created_window_check([record.created])
    with transaction.atomic():
        sequence_lock()
        if guard is not None:
            guard()
        if not SpendRecord.objects.filter(pk=record.pk).exists():
            # Deleted since it was read: save() would insert it again, undoing the delete.
            raise SpendRecord.DoesNotExist(f"record {record.pk} was deleted")
        record.seq = positions_allocate(count=1)
        cells_add(Q(id=record.pk), sign=-1)  # as it was stored
        before = values_stored(SpendRecord.objects.filter(pk=record.pk))
        record.save(force_update=True)
        if spend_changed.has_listeners():
            spend_changed_send(added=[stored_values(record)], removed=before)
        cells_span_follow(sizes=cells_add(Q(id=record.pk)))
        transaction.on_commit(partial(changes_broadcast, upserts=[record]))
    return record


def records_delete(*, queryset: QuerySet[SpendRecord], guard: Guard | None = None) -> int:
    with transaction.atomic():
        sequence_lock()
        if guard is not None:
            guard()
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
            cells_add(Q(id__in=chunk), sign=-1)
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
