"""/api/v1/: records in (a batch, idempotent by external id), changed, deleted; records and
totals out. Every write goes through feeds.services, as the generator's and the admin's do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from pydantic import AwareDatetime, Field

from feeds.api.auth import READ, WRITE, token_guard
from feeds.api.batch import rows_check
from feeds.api.deadline import read_deadline
from feeds.api.errors import handlers_install, problem
from feeds.api.limits import rate_check
from feeds.api.schemas import (
    BatchIn,
    BatchOut,
    PageOut,
    Problem,
    RecordOut,
    RecordPatch,
    TotalsOut,
)
from feeds.models import ApiToken, PayType, SpendRecord
from feeds.rows import FIELDS, record_build
from feeds.selectors import SpendFilter, records_page, spend_totals
from feeds.services import record_update, records_create, records_delete
from feeds.snapshots import snapshot

MAX_PAGE = 1000
JSON = "application/json"

api = NinjaAPI(
    title="rtviz API",
    version="1",
    urls_namespace="api",
    docs_decorator=staff_member_required,  # the interactive docs: logged-in staff only
    description="Spend records in and out. Authorization: Bearer <token>; see docs/api.md.",
)
handlers_install(api)


def json_body_check(request: HttpRequest) -> None:
    if request.content_type != JSON:
        raise HttpError(400, f"Content-Type must be {JSON}")


def token_of(request: HttpRequest) -> ApiToken:
    return request.auth  # type: ignore[attr-defined]


@api.post(
    "/records",
    auth=WRITE,
    response={200: BatchOut, 201: BatchOut, 400: Problem, 413: Problem},
    summary="Store a batch of 1-5,000 records (idempotent by external_id)",
)
def records_post(request: HttpRequest, batch: BatchIn) -> Any:
    json_body_check(request)
    built = rows_check(batch.records)
    errors = [error.__dict__ for b in built for error in b.errors]
    if errors:
        return problem(api, request, 400, "invalid records: nothing was stored", errors=errors)
    token = token_of(request)
    records = [b.record for b in built if b.record is not None]
    stored = records_create(records=records, source=token.source, guard=token_guard(token))
    answer = [
        {
            "index": index,
            "id": record.pk,
            "position": record.seq,
            "external_id": record.external_id,
            "created": record is records[index],
        }
        for index, record in enumerate(stored)
    ]
    status = 201 if any(row["created"] for row in answer) else 200
    # Rendered as it is: BatchOut's check of a thousand rows we just made cost more than the
    # rendering (the schema still documents the answer).
    return api.create_response(request, {"records": answer}, status=status)


def own_record(token: ApiToken, record_id: int) -> SpendRecord:
    """A token changes only its own integration's records."""
    record = SpendRecord.objects.filter(pk=record_id, source=token.source).first()
    if record is None:
        raise HttpError(404, f"no record {record_id} from {token.source}")
    return record


def record_out(record: SpendRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "position": record.seq,
        "source": record.source,
        "external_id": record.external_id,
        **{name: getattr(record, name) for name in (*FIELDS, "created", "updated")},
    }


@api.patch(
    "/records/{record_id}",
    auth=WRITE,
    response={200: RecordOut, 400: Problem, 404: Problem},
    summary="Change a record of this token's integration",
)
def record_patch(request: HttpRequest, record_id: int, patch: RecordPatch) -> Any:
    json_body_check(request)
    token = token_of(request)
    record = own_record(token, record_id)
    values = {name: getattr(record, name) for name in (*FIELDS, "created")}
    values.update(patch.model_dump(exclude_unset=True))
    built = record_build(values=values, index=0)
    if built.record is None:
        errors = [error.__dict__ for error in built.errors]
        return problem(api, request, 400, "invalid record: not changed", errors=errors)
    for name in (*FIELDS, "created"):
        setattr(record, name, getattr(built.record, name))
    try:
        return record_out(record_update(record=record, guard=token_guard(token)))
    except SpendRecord.DoesNotExist:  # deleted while this request waited its turn
        raise HttpError(404, f"no record {record_id} from {token.source}") from None


@api.delete(
    "/records/{record_id}",
    auth=WRITE,
    response={204: None, 404: Problem},
    summary="Delete a record of this token's integration",
)
def record_delete(request: HttpRequest, record_id: int) -> Any:
    token = token_of(request)
    own_record(token, record_id)
    queryset = SpendRecord.objects.filter(pk=record_id, source=token.source)
    if not records_delete(queryset=queryset, guard=token_guard(token)):
        raise HttpError(404, f"no record {record_id} from {token.source}")
    return Status(204, None)


class Filters(Schema):
    created_from: AwareDatetime | None = Field(None, description="inclusive")
    created_to: AwareDatetime | None = Field(None, description="exclusive")
    name: str | None = None
    pay_type: PayType | None = None
    year: int | None = None

    def spend_filter(self) -> SpendFilter:
        return SpendFilter(**self.model_dump())


class Cursor(Schema):
    after: str | None = Field(None, description="the `next` of the page before")
    limit: int = Field(100, ge=1, le=MAX_PAGE)


def cursor_id(after: str | None) -> int:
    if after is None:
        return 0
    if not after.isdigit() or len(after) > 19:
        raise HttpError(400, "after: not a cursor this API gave")
    return int(after)


@api.get(
    "/records",
    auth=READ,
    response={200: PageOut, 400: Problem, 503: Problem},
    summary="Records by id, a page at a time",
)
def records_get(
    request: HttpRequest, filters: Query[Filters], cursor: Query[Cursor]
) -> dict[str, Any]:
    with read_deadline():
        page = records_page(
            spend_filter=filters.spend_filter(),
            after_id=cursor_id(cursor.after),
            limit=cursor.limit,
        )
    last = str(page[-1].pk) if len(page) == cursor.limit else None
    return {"records": [record_out(record) for record in page], "next": last}


def dollars(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2).quantize(Decimal("0.01")))


@api.get(
    "/summary",
    auth=READ,
    response={200: TotalsOut, 400: Problem, 429: Problem, 503: Problem},
    summary="Totals by year, person and pay type: what the dashboard shows",
)
def summary_get(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    # The kept cells and a range's edge records (feeds.selectors.spend_totals): a bounded read,
    # but the heaviest of the API's, in the thread all of this process's views share.
    rate_check(token_of(request).pk, kind="summary", limit=settings.API_SUMMARIES_PER_MINUTE)
    # The snapshot first: on PostgreSQL the deadline opens the transaction otherwise, and
    # spend_totals would read in that one at READ COMMITTED.
    with snapshot(), read_deadline():
        totals = spend_totals(spend_filter=filters.spend_filter())
    return {
        "count": totals.count,
        "spent": dollars(totals.spent),
        **{
            name: {key: dollars(value) for key, value in getattr(totals, name).items()}
            for name in ("by_year", "by_name", "by_pay_type")
        },
    }
