"""Bounds on what a request may carry (SPEC §6, "Bad input"): every hostile input is a 4xx, never a 5xx.

- `RequestLimitsMiddleware`: a body over `API_MAX_BODY_BYTES` is `413` before any parser reads it
  (JSON, CSV and multipart alike); a chunked body without `Content-Length` is read here, up to the
  limit (`413` beyond it), where the server hands it over de-chunked (gunicorn), and refused with
  `411` where it cannot (a server that would pass the chunks on raw, or nothing at all); a NUL character in a query parameter or a form field is `400`
  naming the field (PostgreSQL cannot store NUL in text, and would answer the query with an error).
- `config.parsers.StrictJSONParser`: JSON nested deeper than `MAX_JSON_DEPTH` levels, or holding a NUL in any
  string or key, is `400` naming where.
- `UtcDateTimeField` / `UtcIsoDateTimeFilter`: an instant is converted to UTC when parsed, so an
  offset that pushes it outside what Python and the database store is `400`, not an error later.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict

from config.exceptions import PROBLEM_CONTENT_TYPE, problem
from config.parsers import NUL


def no_store(response: Any) -> Any:
    """For responses carrying a token or a secret: no cache, proxy or browser history keeps them."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _refuse(request: HttpRequest, status: int, *, slug: str, detail: str, errors: Any = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse(problem(status, slug=slug, detail=detail, errors=errors), status=status,
                            content_type=PROBLEM_CONTENT_TYPE)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


def _declared_length(request: HttpRequest) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


class RequestLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.API_MAX_BODY_BYTES
        length = _declared_length(request)
        if length is None and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refused = _read_chunked(request, limit)
            if refused is not None:
                return refused
            length = _declared_length(request)
        if length is not None and length > limit:
            return _refuse(request, 413, slug="payload-too-large",
                           detail=f"The body is {length} bytes; the limit is {limit} bytes (API_MAX_BODY_BYTES).")
        refused = _refuse_nul(request, request.GET)
        content_type = request.META.get("CONTENT_TYPE", "")
        if refused is None and request.method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            refused = _refuse_nul(request, request.POST)
        return refused or self.get_response(request)


def _read_chunked(request: HttpRequest, limit: int) -> HttpResponse | None:
    """Read a chunked body the server de-chunked (it says so with `wsgi.input_terminated`) into the
    request, as if it had come with its `Content-Length`; 413 past the limit, 411 if it cannot be read."""
    stream = request.META.get("wsgi.input")
    if stream is None or not request.META.get("wsgi.input_terminated"):
        return _refuse(request, 411, slug="length-required",
                       detail="Send the body with a Content-Length header (this server cannot read chunked bodies).")
    data = stream.read(limit + 1)
    if len(data) > limit:
        return _refuse(request, 413, slug="payload-too-large",
                       detail=f"The body is over {limit} bytes, the limit (API_MAX_BODY_BYTES).")
    request.META["CONTENT_LENGTH"] = str(len(data))
    request._stream = LimitedStream(BytesIO(data), len(data))  # type: ignore[assignment]
    return None


def _refuse_nul(request: HttpRequest, fields: QueryDict) -> HttpResponse | None:
    """A 400 naming the first query or form field whose name or value holds a NUL character."""
    for name, values in fields.lists():
        if NUL in name or any(NUL in value for value in values):
            label = name.replace(NUL, "\\0")
            return _refuse(request, 400, slug="validation-error",
                           detail=f"{label}: must not contain a NUL character.",
                           errors={label: ["must not contain a NUL character"]})
    return None


def utc_or_error(value: datetime | None) -> datetime | None:
    """The instant in UTC; ValueError when its offset takes it before year 1 or after year 9999."""
    if value is None or value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("outside the range of dates the service stores (years 1 to 9999 in UTC)") from exc


def _utc_field_value(parsed: datetime | None) -> datetime | None:
    """`utc_or_error` for form fields: out of range is the field's own error."""
    try:
        return utc_or_error(parsed)
    except ValueError as exc:
        raise forms.ValidationError(str(exc), code="overflow") from exc


class UtcDateTimeField(forms.DateTimeField):
    """A form field whose instant is normalised to UTC, out-of-range offsets refused."""

    def to_python(self, value: Any) -> datetime | None:
        return _utc_field_value(super().to_python(value))


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        return _utc_field_value(super().to_python(value))


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 instant, compared in UTC; one outside years 1–9999 in UTC is a 400 naming the parameter."""

    field_class = UtcIsoDateTimeField
