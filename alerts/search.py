"""Ranked full-text search over what the caller may see (SPEC §10.6). Reads only: the vectors are written
by alerts.services.search.

Callers start from a visibility selector (`alerts_visible_to`, `reports_visible_to`) and pass its
queryset here; this module only narrows and ranks it, so nothing hidden is found or counted.

On PostgreSQL a query is read as web-search syntax (`websearch_to_tsquery`: quotes, `or`, `-word`; any
other punctuation is ignored, never an error) against the stored, GIN-indexed vector, ranked by
`ts_rank` with the weights title A > summary B > description C. On the embedded SQLite default it is a
substring match of every word, ranked by where the words occur with the same order of fields.

The rank is annotated as `search_rank`, a whole number (ts_rank × 10⁶), so that cursor pagination
compares it exactly (config.pagination orders by it, then newest, when it is present).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Model, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Round

from alerts.services.search import SEARCH_CONFIG

M = TypeVar("M", bound=Model)

# The annotation a searched queryset carries; API views name it as `cursor_rank` for the paginator.
SEARCH_RANK = "search_rank"

# A search box is for words, not documents: longer queries are cut (never refused).
MAX_QUERY_CHARS = 256
MAX_WORDS = 16
_WORD = re.compile(r"[^\W_]+(?:[-.][^\W_]+)*", re.UNICODE)
_OPERATORS = frozenset({"or", "and", "not"})

# Fields and their weight on SQLite (the same order as the PostgreSQL vector's A, B, C, D).
ALERT_FIELDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("title", "reference", "publisher_reference"), 8),
    (("summary",), 4),
    (("description",), 2),
    (("hazard", "harm", "recommended_actions"), 1),
)
REPORT_FIELDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("tool__name", "tool__manufacturer"), 8),
    (("setting", "population"), 4),
    (("method", "data_source", "supersede_reason"), 2),
)
# Matched whole as well, whatever the text-search parser makes of it: `SAX-2026-000018` (the publisher's own
# reference is in the vector, weight A).
ALERT_IDENTIFIERS = ("reference",)


def search_text(raw: str) -> str:
    """The query as searched: trimmed and cut to MAX_QUERY_CHARS."""
    return raw.replace("\x00", "").strip()[:MAX_QUERY_CHARS]


def search_words(raw: str) -> list[str]:
    """The query's words (operators, quotes and punctuation dropped), for the fallback and highlighting."""
    words: list[str] = []
    for word in _WORD.findall(search_text(raw)):
        if word.lower() not in _OPERATORS and word.lower() not in (w.lower() for w in words):
            words.append(word)
    return words[:MAX_WORDS]


def _ranked_postgres(queryset: QuerySet[M], text: str, identifiers: tuple[str, ...]) -> QuerySet[M]:
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    match = Q(search_vector=query)
    for field in identifiers:  # exact and upper-case, so that the field's own B-tree index answers it
        match |= Q(**{field: text.upper()})
    rank = Cast(Round(SearchRank(F("search_vector"), query) * Value(1_000_000.0)), IntegerField())
    return queryset.filter(match).annotate(**{SEARCH_RANK: rank})


def ranked_fallback(
    queryset: QuerySet[M], text: str, fields: tuple[tuple[tuple[str, ...], int], ...]
) -> QuerySet[M]:
    """The embedded default's search: every word occurs in some field; ranked by the fields it occurs in."""
    words = search_words(text)
    if not words:
        return queryset.none()
    match = Q()
    rank: Any = Value(0)
    for word in words:
        anywhere = Q()
        for names, weight in fields:
            here = Q()
            for name in names:
                here |= Q(**{f"{name}__icontains": word})
            anywhere |= here
            rank = rank + Case(When(here, then=Value(weight)), default=Value(0), output_field=IntegerField())
        match &= anywhere
    return queryset.filter(match).annotate(**{SEARCH_RANK: Cast(rank, IntegerField())})


def alerts_search(queryset: QuerySet[Any], raw: str) -> QuerySet[Any]:
    """The alerts of `queryset` (already what the caller may see) that match, annotated with `search_rank`."""
    text = search_text(raw)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        return _ranked_postgres(queryset, text, ALERT_IDENTIFIERS)
    return ranked_fallback(queryset, text, ALERT_FIELDS)


def reports_search(queryset: QuerySet[Any], raw: str) -> QuerySet[Any]:
    """The reports of `queryset` (already what the caller may see) that match, annotated with `search_rank`."""
    text = search_text(raw)
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        return _ranked_postgres(queryset, text, ())
    return ranked_fallback(queryset, text, REPORT_FIELDS)


def ranked_first(queryset: QuerySet[M], *newest: Any) -> QuerySet[M]:
    """Best match first, then `newest` (the list's own order), when the queryset was searched."""
    if SEARCH_RANK in queryset.query.annotations:
        return queryset.order_by(f"-{SEARCH_RANK}", *newest)
    return queryset.order_by(*newest)
