"""Every failure answers JSON with a clear `detail` (and, for rows, every problem); no stack
trace ever reaches a client."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from feeds.api.limits import RateLimited, TooLarge
from feeds.api.schemas import MAX_RECORDS_PER_BATCH
from feeds.rows import RowError, record_build

logger = logging.getLogger(__name__)


def problem(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


def row_problems(errors: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """Pydantic's errors as {index, field, message}, and whether the batch was too long."""
    problems, too_long = [], False
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in ("body", "batch", "patch")]
        if loc[:1] == ["records"] and len(loc) == 1 and error.get("type") == "too_long":
            too_long = True
            continue
        if loc[:1] == ["records"] and len(loc) >= 3 and isinstance(loc[1], int):
            index, field = loc[1], ".".join(map(str, loc[2:]))
        elif loc[:1] == ["records"] and len(loc) == 2 and isinstance(loc[1], int):
            index, field = loc[1], ""
        else:
            index, field = None, ".".join(map(str, loc))
        problems.append({"index": index, "field": field, "message": error.get("msg", "invalid")})
    return problems, too_long


def model_problems(request: HttpRequest, known: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model validators' problems with the rows pydantic let through field by field, so
    that a 400 lists every problem, not only those found first."""
    try:
        rows = json.loads(request.body).get("records")
    except (ValueError, AttributeError):
        return []
    if not isinstance(rows, list) or len(rows) > MAX_RECORDS_PER_BATCH:
        return []
    seen = {(p["index"], p["field"]) for p in known}
    found: list[RowError] = []
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            # A list or an object where a value goes was named by pydantic already; the model's
            # fields would take a list for a decimal's parts (Decimal((sign, digits, exp))) and
            # overflow (a 500).
            scalars = {k: v for k, v in row.items() if not isinstance(v, list | dict)}
            found.extend(record_build(values=scalars, index=index).errors)
    return [
        {"index": e.index, "field": e.field, "message": e.message}
        for e in found
        if (e.index, e.field) not in seen
    ]


def handlers_install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
        problems, too_long = row_problems(error.errors)
        if too_long:
            return problem(
                api, request, 413, f"too many records: at most {MAX_RECORDS_PER_BATCH} per batch"
            )
        if request.method == "POST":
            problems += model_problems(request, problems)
        problems.sort(key=lambda p: (p["index"] is not None, p["index"] or 0))
        return problem(api, request, 400, "invalid request", errors=problems)

    @api.exception_handler(AuthenticationError)
    def unauthorised(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
        response = problem(api, request, 401, "a valid Bearer token is required")
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
        return problem(api, request, error.status_code, str(error))

    @api.exception_handler(TooLarge)
    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, error: Exception) -> HttpResponse:
        return problem(api, request, 413, f"request body too large ({error})")

    @api.exception_handler(RateLimited)
    def rate_limited(request: HttpRequest, error: RateLimited) -> HttpResponse:
        response = problem(api, request, 429, "too many requests for this token")
        response["Retry-After"] = str(error.retry_after)
        return response

    @api.exception_handler(Exception)
    def failed(request: HttpRequest, error: Exception) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return problem(api, request, 500, "internal error")
