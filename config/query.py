"""Unknown query parameters on list endpoints are a 400 naming them, never silently ignored.

A typo (`?severty=high`, `?page_size=10`) would otherwise answer the unfiltered list as if it were
the filtered one. What a list knows is what its schema documents: its filters (django-filter),
`search` where the list searches, the cursor and `limit` of its pagination, `format`, and any
parameter a view declares in `query_parameters`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.request import Request

from exchange.errors import ValidationFailed

ALWAYS_KNOWN = frozenset({"format"})
_CHECKED = "_sax_query_checked"


class UnknownQueryParameter(ValidationFailed):
    slug = "unknown-query-parameter"
    title = _("Unknown query parameter")


def known_query_parameters(view: Any, queryset: QuerySet[Any] | None = None) -> set[str]:
    known = set(ALWAYS_KNOWN) | set(getattr(view, "query_parameters", ()))
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        known |= {name for name in (getattr(paginator, "cursor_query_param", None),
                                    getattr(paginator, "page_size_query_param", None)) if name}
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset_class = backend.get_filterset_class(view, queryset)
            if filterset_class is not None:
                known |= set(filterset_class.base_filters)
        elif isinstance(backend, SearchFilter):
            if getattr(view, "search_fields", None):
                known.add(backend.search_param)
        elif isinstance(backend, OrderingFilter):
            known.add(backend.ordering_param)
    return known


def query_parameters_check(request: Request, view: Any, queryset: QuerySet[Any] | None = None) -> None:
    """Refuse a list request whose query string names a parameter the list does not know."""
    if getattr(request, _CHECKED, False):
        return
    setattr(request, _CHECKED, True)
    known = known_query_parameters(view, queryset)
    unknown = sorted(name for name in request.query_params if name not in known)
    if unknown:
        accepted = ", ".join(sorted(known))
        raise UnknownQueryParameter(
            f"Unknown query parameter(s) {', '.join(unknown)}: this list accepts {accepted}.",
            errors={name: [f"unknown query parameter; this list accepts {accepted}"] for name in unknown},
        )


class KnownQueryParameters(BaseFilterBackend):
    """First of the filter backends: a list answers 400 to a parameter it does not know."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        query_parameters_check(request, view, queryset)
        return queryset
