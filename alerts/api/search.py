"""`?search=` on the alerts and reports lists: the ranked full-text search of alerts.search."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.filters import SearchFilter
from rest_framework.request import Request

from alerts.search import MAX_QUERY_CHARS


class RankedSearchFilter(SearchFilter):
    """Narrows and ranks with the view's `search_with(queryset, text)`; the paginator then orders by rank.

    A subclass of DRF's SearchFilter so that the schema and the unknown-parameter check know `search`.
    """

    search_description = (
        "Free text, ranked best match first (title above summary above description), then newest. Words "
        "are matched by their stem; \"quoted phrases\", `or` and `-word` are understood and any other "
        f"punctuation is ignored. Longer queries are cut to {MAX_QUERY_CHARS} characters."
    )

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        raw = request.query_params.get(self.search_param, "")
        search_with = getattr(view, "search_with", None)
        if not raw.strip() or search_with is None:
            return queryset
        searched: QuerySet[Any] = search_with(queryset, raw)
        return searched
