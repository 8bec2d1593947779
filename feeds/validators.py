"""The window of valid spend records, shared by the model's validators, its database CHECKs
and feeds.services (SECURITY.md lists the bounds).

`created` runs from CREATED_MIN, fixed in the schema, to a day ahead of now
(settings.SPEND_CREATED_MAX_AHEAD: clocks disagree a little, a date a year ahead is a typo).
A CHECK cannot call now(): the database's own bound is the static CREATED_CHECK_MAX, which the
validators and the services keep well inside.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible

CREATED_MIN = datetime(2000, 1, 1, tzinfo=UTC)
CREATED_CHECK_MAX = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive; past YEAR_MAX's last day
QUANTITY_MAX = 1000
SPENT_MAX = TOTAL_MAX = Decimal("10000.00")
TIP_MAX = Decimal("1000.00")

# Unicode categories no name needs: controls, surrogates, private use, unassigned, line and
# paragraph separators. Of the format characters (Cf), the bidirectional controls: an override
# makes "Ann\u202egnp.exe" render as "Annexe.png". Joiners (ZWJ, ZWNJ) stay: Persian and Indic
# names use them.
REFUSED_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
BIDI_CONTROLS = {
    chr(c) for c in [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


def created_latest() -> datetime:
    return timezone.now() + settings.SPEND_CREATED_MAX_AHEAD


@deconstructible
class CreatedNotAheadValidator:
    """`created` at most SPEND_CREATED_MAX_AHEAD ahead of now (a class, so that migrations
    can name it)."""

    message = "Ensure this date is at most a day ahead of now."

    def __call__(self, value: datetime) -> None:
        if value > created_latest():
            raise ValidationError(self.message, code="max_value")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CreatedNotAheadValidator)

    def __hash__(self) -> int:
        return hash(type(self))


def name_validate(value: str) -> None:
    for character in value:
        if character in BIDI_CONTROLS or unicodedata.category(character) in REFUSED_CATEGORIES:
            raise ValidationError(
                "Names cannot hold control or text-direction characters (U+%(code)04X).",
                code="invalid",
                params={"code": ord(character)},
            )


def created_window_check(moments: list[datetime]) -> None:
    """Refuse a write with a moment outside the window (the services' check: a bulk write
    runs no validators, and the CHECK's upper bound is static)."""
    if not moments:
        return
    earliest, latest = min(moments), max(moments)
    if earliest < CREATED_MIN or latest > created_latest():
        raise ValidationError(
            {"created": f"must be from {CREATED_MIN:%Y-%m-%d} to a day ahead of now"}
        )
