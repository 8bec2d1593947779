"""Mock spend records with the tutorial's people and value ranges."""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from feeds.models import PayType, SpendRecord

DEFAULT_NAMES = ("Ben", "Jarrod", "Vijay", "Aziz")
# Every choice, bitcoin included: the tutorial lists it but never picks it (its random index
# stops short of the last item), which left a filter entry that nothing ever matched.
GENERATED_PAY_TYPES = tuple(PayType)


def money(rng: random.Random, low: int, high: int) -> Decimal:
    """An amount in whole cents from low.00 to high.99."""
    return Decimal(rng.randint(low * 100, high * 100 + 99)).scaleb(-2)


def spend_records_generate(
    *, rng: random.Random, count: int, names: Sequence[str] = DEFAULT_NAMES
) -> list[SpendRecord]:
    now = timezone.now()
    return [
        SpendRecord(
            name=rng.choice(names),
            spent=money(rng, 1, 149),
            year=rng.randint(2012, 2015),
            pay_type=rng.choice(GENERATED_PAY_TYPES),
            quantity=rng.randint(1, 3),
            total=money(rng, 30, 999),
            tip=money(rng, 10, 99),
            created=now,
        )
        for _ in range(count)
    ]
