"""Cursor pagination: `{"next", "previous", "results"}`, `?limit=` clamped to the documented maximum."""

from __future__ import annotations

from base64 import b64decode
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from config.limits import utc_or_error
from config.parsers import NUL
from config.query import query_parameters_check
from exchange.links import absolute_url

# The longest position a list hands out (a timestamp, an id, a number) is far shorter.
MAX_POSITION = 100


class CursorPagination(pagination.CursorPagination):
    page_size = settings.API_DEFAULT_PAGE_SIZE
    max_page_size = settings.API_MAX_PAGE_SIZE
    page_size_query_param = "limit"
    page_size_query_description = (
        f"Page size (default {settings.API_DEFAULT_PAGE_SIZE}; larger values are clamped to "
        f"{settings.API_MAX_PAGE_SIZE})."
    )
    ordering = ("-created_at", "-pk")

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        ordering = (ordering,) if isinstance(ordering, str) else tuple(ordering)
        # A searched list is best match first (the view names the rank annotation, a whole number so
        # that the cursor's position compares exactly), then in its own order.
        rank = getattr(view, "cursor_rank", None)
        if rank and rank in getattr(getattr(queryset, "query", None), "annotations", {}):
            return (f"-{rank}", *ordering)
        return ordering

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            # A typo must not silently turn into the default page size.
            raise ValidationError({self.page_size_query_param: ["Must be a whole number of at least 1."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        # Lists that filter nothing (no filter backend ran) still refuse parameters they do not know.
        if view is not None:
            query_parameters_check(request, view, queryset)
        self._queryset = queryset
        page: Any = super().paginate_queryset(queryset, request, view)
        # `next`/`previous` under SITE_URL, never the request's host (a proxy's or a caller's Host).
        self.base_url = absolute_url(request.get_full_path())
        return page

    def decode_cursor(self, request: Any) -> Any:
        invalid = ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]})
        self._shape_check(request.query_params.get(self.cursor_query_param), invalid)
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise invalid from exc
        if cursor is not None and cursor.position is not None:
            # The position is compared with the ordering field in SQL: a tampered one (`p=9999-99-99`)
            # must be refused here, not by the database.
            self._position_check(cursor.position, invalid)
        return cursor

    @staticmethod
    def _shape_check(encoded: str | None, invalid: ValidationError) -> None:
        """Only what this paginator writes: `o` and `r` small numbers, `p` a short position, nothing
        else (`AAAA` decodes to NUL bytes; `o=1&p=9999…` is no position a list hands out)."""
        if encoded is None:
            return
        try:
            text = b64decode(encoded.encode("ascii"), validate=False).decode("ascii")
        except (ValueError, UnicodeError) as exc:
            raise invalid from exc
        if not text or any(not 0x20 <= ord(char) < 0x7F for char in text):
            raise invalid
        tokens = parse_qs(text, keep_blank_values=True)
        if not tokens or set(tokens) - {"o", "r", "p"} or any(len(values) != 1 for values in tokens.values()):
            raise invalid
        for key in ("o", "r"):
            if key in tokens and not (tokens[key][0].isdigit() and len(tokens[key][0]) <= 9):
                raise invalid
        if len(tokens.get("p", [""])[0]) > MAX_POSITION:
            raise invalid

    def _position_check(self, position: Any, invalid: ValidationError) -> None:
        if NUL in str(position):
            raise invalid
        field = self._ordering_field()
        if field is None:
            return
        try:
            value = field.to_python(position)
            if isinstance(value, datetime):
                utc_or_error(value)
            elif isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise ValueError("out of range")
        except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
            raise invalid from exc

    def _ordering_field(self) -> Any:
        """The model field or annotation the cursor's position is compared with (None if unknown)."""
        queryset = getattr(self, "_queryset", None)
        if queryset is None or not hasattr(queryset, "model"):
            return None
        name = self.ordering[0].lstrip("-")
        annotation = queryset.query.annotations.get(name)
        if annotation is not None:
            return annotation.output_field
        model = queryset.model
        field = None
        try:
            for part in name.split("__"):
                field = model._meta.get_field(part)
                model = field.related_model or model
        except FieldDoesNotExist:
            return None
        return field
