"""The extension point on the writes: feeds.services sends `spend_changed` inside each
write's transaction, so other apps (budgets) keep their own totals exact and decide on what
a write did in the same transaction, without feeds knowing them.

A receiver gets `added` and `removed`: the records' values as stored after and before the
write (an update is both). It runs in the writing transaction: it must be quick, and an
exception from it rolls the write back, so a receiver that must never block a write (an
email) defers that work with transaction.on_commit.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.dispatch import Signal


class SpendValues(NamedTuple):
    """What a receiver may sum: one record's time, person, pay type and amount."""

    created: datetime
    name: str
    pay_type: str
    spent: Decimal


VALUE_FIELDS = SpendValues._fields

spend_changed = Signal()  # kwargs: added, removed (lists of SpendValues)


def spend_changed_send(*, added: list[SpendValues], removed: list[SpendValues]) -> None:
    spend_changed.send(sender=SpendValues, added=added, removed=removed)
