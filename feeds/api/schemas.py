"""The API's bodies and answers (pydantic, through django-ninja): what the OpenAPI schema shows.
Bounds are the model's: rows are checked again by its field validators (feeds.rows)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SkipValidation

from feeds.models import EXTERNAL_ID_MAX_LENGTH, PayType

MAX_RECORDS_PER_BATCH = 5000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not ignored


class RecordIn(Strict):
    external_id: str | None = Field(None, max_length=EXTERNAL_ID_MAX_LENGTH)
    name: str = Field(min_length=1, max_length=64)
    spent: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    year: int
    pay_type: PayType
    quantity: int = Field(ge=1)
    total: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    tip: Decimal = Field(ge=0, max_digits=10, decimal_places=2)
    created: AwareDatetime | None = None  # default: now


class BatchIn(Strict):
    # The rows as sent: feeds.api.batch checks them, by RecordIn where it must (a plain row it
    # takes at a fraction of pydantic's cost). The schema shows each as a RecordIn all the same.
    records: list[SkipValidation[RecordIn]] = Field(min_length=1, max_length=MAX_RECORDS_PER_BATCH)


class RecordPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=64)
    spent: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    year: int | None = None
    pay_type: PayType | None = None
    quantity: int | None = Field(None, ge=1)
    total: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    tip: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    created: AwareDatetime | None = None


class Written(BaseModel):
    index: int
    id: int
    position: int
    external_id: str | None
    created: bool  # False: stored before (a retry), not written again


class BatchOut(BaseModel):
    records: list[Written]


class RecordOut(BaseModel):
    id: int
    position: int
    source: str
    external_id: str | None
    name: str
    spent: Decimal
    year: int
    pay_type: str
    quantity: int
    total: Decimal
    tip: Decimal
    created: datetime
    updated: datetime


class PageOut(BaseModel):
    records: list[RecordOut]
    next: str | None  # the cursor for the next page; None on the last


class TotalsOut(BaseModel):
    """Spend in decimal dollars, as text so that no float rounds it."""

    count: int
    spent: str
    by_year: dict[str, str]
    by_name: dict[str, str]
    by_pay_type: dict[str, str]


class RowProblem(BaseModel):
    index: int
    field: str
    message: str


class Problem(BaseModel):
    detail: str
    errors: list[RowProblem] = []
