"""Cursor pagination: `{"next", "previous", "results"}`, `?limit=` clamped to the documented maximum."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


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
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

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

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]}) from exc
