from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from feeds.validators import (
    CREATED_CHECK_MAX,
    CREATED_MIN,
    QUANTITY_MAX,
    SPENT_MAX,
    TIP_MAX,
    TOTAL_MAX,
    CreatedNotAheadValidator,
    name_validate,
)

YEAR_MIN = 2000
YEAR_MAX = 2100
MONEY: dict[str, Any] = {"max_digits": 10, "decimal_places": 2}


def money_bounds(highest: Decimal) -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(Decimal("0")), MaxValueValidator(highest)]


class PayType(models.TextChoices):
    CASH = "cash"
    TAB = "tab"
    VISA = "visa"
    MASTERCARD = "mastercard"
    BITCOIN = "bitcoin"


# Where a record came from: these two, "import:<name>" (feeds.imports) or "api:<integration>"
# (an API token's, feeds.api).
SOURCE_GENERATOR = "generator"
SOURCE_ADMIN = "admin"
SOURCE_MAX_LENGTH = 80
EXTERNAL_ID_MAX_LENGTH = 128


class SpendRecord(models.Model):
    """One purchase by one team member: the tutorial's record, stored."""

    name = models.CharField(max_length=64, validators=[name_validate])
    spent = models.DecimalField(**MONEY, validators=money_bounds(SPENT_MAX))
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(YEAR_MIN), MaxValueValidator(YEAR_MAX)]
    )
    pay_type = models.CharField(max_length=16, choices=PayType.choices)
    quantity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(QUANTITY_MAX)]
    )
    total = models.DecimalField(**MONEY, validators=money_bounds(TOTAL_MAX))
    tip = models.DecimalField(**MONEY, validators=money_bounds(TIP_MAX))
    created = models.DateTimeField(
        default=timezone.now,
        validators=[MinValueValidator(CREATED_MIN), CreatedNotAheadValidator()],
    )
    updated = models.DateTimeField(auto_now=True)
    # Position of the record's last change in the change sequence. No default: a record
    # written around feeds.services (which assigns it) fails loudly instead of silently
    # never reaching the dashboards.
    seq = models.BigIntegerField(editable=False)
    source = models.CharField(
        max_length=SOURCE_MAX_LENGTH, default=SOURCE_GENERATOR, editable=False
    )
    # The sender's own id: a retried batch or a re-run import finds its records by it. NULL,
    # not "", for none: (source, external_id) is unique, and NULLs never clash.
    external_id = models.CharField(  # noqa: DJ001
        max_length=EXTERNAL_ID_MAX_LENGTH, null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            # Replaying the changes after a position to a reconnecting dashboard.
            models.Index(fields=["seq"], name="spend_seq_idx"),
            # The admin's default ordering and date hierarchy, and time-bounded history.
            models.Index(fields=["created"], name="spend_created_idx"),
            # The admin's name filter and search.
            models.Index(fields=["name"], name="spend_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="spend_name_not_empty"),
            models.CheckConstraint(
                condition=Q(spent__gte=0, spent__lte=SPENT_MAX), name="spend_spent_in_range"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN, year__lte=YEAR_MAX), name="spend_year_in_range"
            ),
            models.CheckConstraint(
                condition=Q(pay_type__in=PayType.values), name="spend_pay_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=QUANTITY_MAX),
                name="spend_quantity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=TOTAL_MAX), name="spend_total_in_range"
            ),
            models.CheckConstraint(
                condition=Q(tip__gte=0, tip__lte=TIP_MAX), name="spend_tip_in_range"
            ),
            # The date window: every read (a full history, a replay, the summary cells) sees
            # the same records without a condition of its own (feeds.validators).
            models.CheckConstraint(
                condition=Q(created__gte=CREATED_MIN, created__lt=CREATED_CHECK_MAX),
                name="spend_created_in_window",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"], name="spend_source_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} spent {self.spent} ({self.year}, {self.pay_type})"


class SpendDeletion(models.Model):
    """A deleted record's tombstone, so that a reconnecting dashboard can replay deletes."""

    seq = models.BigIntegerField(primary_key=True)
    record_id = models.BigIntegerField()
    deleted = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"record {self.record_id} deleted at position {self.seq}"


class ChangeSequence(models.Model):
    """One row: the last position given to a change of spend records, and the database's
    epoch (a random id that tells a client's position from another database's)."""

    ROW_ID = 1

    position = models.BigIntegerField(default=0)
    epoch = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"position {self.position} of {self.epoch}"


class CellState(models.Model):
    """One row: spend cells (SpendCell) are kept for every bucket size from `finest_ms` to
    `coarsest_ms` (feeds.cells). Apart from ChangeSequence, whose row every writer locks: this
    one changes only when the records' span outgrows a size."""

    ROW_ID = 1

    finest_ms = models.PositiveIntegerField(default=1000)
    coarsest_ms = models.PositiveIntegerField(default=1000)

    def __str__(self) -> str:
        return f"cells kept from {self.finest_ms} ms to {self.coarsest_ms} ms"


class SpendCell(models.Model):
    """Spend summed per time bucket, name, year, pay type and $10 amount bin, for one bucket
    size: what a long history's charts are drawn from. feeds.cells keeps them in step with
    the records, in each write's transaction."""

    pk = models.CompositePrimaryKey("size", "bucket", "name", "year", "pay_type", "amount")
    size = models.PositiveIntegerField()  # the bucket size, ms
    bucket = models.BigIntegerField()  # the bucket's start, epoch ms
    name = models.CharField(max_length=64)
    year = models.PositiveSmallIntegerField()
    pay_type = models.CharField(max_length=16)
    amount = models.PositiveIntegerField()  # the bin's lower end, whole dollars
    spent = models.BigIntegerField()  # cents
    records = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.records} records at {self.bucket} ({self.size} ms)"


class ApiToken(models.Model):
    """A named integration's key to the API (feeds.api). Only a hash of the key is stored: it
    is shown once, when made (feeds.tokens)."""

    class Scope(models.TextChoices):
        RECORDS_WRITE = "records:write"
        RECORDS_READ = "records:read"

    name = models.CharField(
        max_length=64, unique=True, help_text="The integration: its records' source is api:NAME."
    )
    prefix = models.CharField(max_length=16, editable=False)  # tells tokens apart in the admin
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)
    revoked = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def source(self) -> str:
        return f"api:{self.name}"
