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

    def decode_cursor(self, request: Any) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link as given."]}) from exc
