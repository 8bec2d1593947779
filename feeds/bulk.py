"""New spend records written in bulk, inside feeds.services' writing transaction (which has
given them their positions): on PostgreSQL by COPY, elsewhere by bulk_create.

COPY streams the rows in one statement with no SQL to parse or parameters to bind per row;
bulk_create's INSERT ... VALUES ... RETURNING was most of an import's time. COPY returns no
ids, so they are read back by the batch's positions, which no other row holds: positions are
given out under the sequence lock and never reused. The one module that writes records with
raw SQL: constant text from the model's own table and column names, every value sent as data.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from feeds.models import SpendRecord
from feeds.units import RECORD_FIELDS

# Every field a record travels with but its id (the database gives it), and the columns it is
# stored with beside them: its position and where it came from.
COPIED = (*(field for field in RECORD_FIELDS if field != "id"), "seq", "source", "external_id")

# One array parameter for all of a batch's ids (Django's __in makes one parameter each).
BY_EXTERNAL_ID = "SELECT * FROM feeds_spendrecord WHERE source = %s AND external_id = ANY(%s)"


def copy_statement() -> str:
    fields = {field.name: field.column for field in SpendRecord._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(fields[name]) for name in COPIED)
    return f"COPY {connection.ops.quote_name(SpendRecord._meta.db_table)} ({columns}) FROM STDIN"


def records_by_external_id(*, source: str, external_ids: list[str]) -> list[SpendRecord]:
    """The stored records of `source` with these external ids."""
    if connection.vendor != "postgresql":
        found: list[SpendRecord] = []
        size = connection.features.max_query_params or len(external_ids)
        for start in range(0, len(external_ids), size - 1):  # - 1: the source's parameter
            chunk = external_ids[start : start + size - 1]
            found.extend(SpendRecord.objects.filter(source=source, external_id__in=chunk))
        return found
    return list(SpendRecord.objects.raw(BY_EXTERNAL_ID, [source, external_ids]))


def records_insert(*, records: Sequence[SpendRecord]) -> list[SpendRecord]:
    """Store new records, their positions (`seq`) set and consecutive; they come back with
    their ids, as from bulk_create."""
    if connection.vendor != "postgresql":
        return SpendRecord.objects.bulk_create(records)
    now = timezone.now()  # `updated` is auto_now: what bulk_create's pre_save would set
    with connection.cursor() as cursor, cursor.cursor.copy(copy_statement()) as copy:
        for record in records:
            record.updated = now
            copy.write_row([getattr(record, name) for name in COPIED])
    first, last = records[0].seq, records[-1].seq
    ids = list(
        SpendRecord.objects.filter(seq__gte=first, seq__lte=last)
        .order_by("seq")
        .values_list("id", flat=True)
    )
    if len(ids) != len(records):  # a position held twice would break every dashboard's replay
        raise AssertionError(f"positions {first}-{last}: {len(ids)} rows for {len(records)}")
    for record, record_id in zip(records, ids, strict=True):
        record.pk = record_id
        record._state.adding = False
        record._state.db = connection.alias
    return list(records)
