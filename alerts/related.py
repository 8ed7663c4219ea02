"""Possibly related alerts (SPEC §10.6): visible alerts that share a tool, share IMDRF codes or read alike,
each with its reasons and a score, best first. Suggestions only: nothing here writes or merges.

The candidate set is bounded (at most CANDIDATES alerts from each of the three sources, each found through
an index on PostgreSQL: alert_tool_lookup_idx, alert_imdrf_codes_idx, the GiST trigram index alert_title_trgm_idx), so the cost
does not grow with the number of alerts; bench/related.py measures it. On the embedded SQLite default the
text measure is the overlap of the titles' words, over the newest visible alerts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.postgres.search import TrigramDistance, TrigramSimilarity
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from alerts.choices import AlertStatus
from alerts.models import Alert, AlertTool
from alerts.selectors import alerts_visible_to
from exchange.models import Member

RELATED_LIMIT = 10
CANDIDATES = 20  # from each source: enough for RELATED_LIMIT, and the nearest-title walk stays short
FALLBACK_WINDOW = 500  # SQLite: the newest visible alerts compared by their words
SIMILAR_TEXT = 0.3  # pg_trgm's own default threshold for `%`: below it, titles do not read alike
# The score's parts add up to 1: a shared tool weighs most, then the share of this alert's codes, then text.
WEIGHT_TOOL, WEIGHT_CODES, WEIGHT_TEXT = 0.45, 0.30, 0.25
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class Subject:
    """What an alert (saved or still in a form) is compared by."""

    title: str
    tool_ids: frozenset[Any]
    codes: tuple[str, ...]
    exclude_pk: Any = None

    @classmethod
    def of(cls, alert: Alert) -> Subject:
        tool_ids = frozenset(AlertTool.objects.filter(alert=alert).values_list("tool_id", flat=True))
        return cls(title=alert.title, tool_ids=tool_ids, codes=tuple(alert.imdrf_codes or ()), exclude_pk=alert.pk)


@dataclass
class Related:
    alert: Alert
    score: float
    reasons: list[str] = field(default_factory=list)


def _candidates(visible: QuerySet[Alert], subject: Subject) -> set[Any]:
    """Up to CANDIDATES alerts from each source, in one round trip (a UNION of index-backed queries)."""
    newest = ("-published_at", "-pk")
    parts: list[QuerySet[Any]] = []
    if subject.tool_ids:
        sharing = AlertTool.objects.filter(alert=OuterRef("pk"), tool_id__in=subject.tool_ids)
        parts.append(visible.filter(Exists(sharing)).order_by(*newest).values_list("pk", flat=True)[:CANDIDATES])
    if connection.vendor != "postgresql":
        parts.append(visible.order_by(*newest).values_list("pk", flat=True)[:FALLBACK_WINDOW])
    else:
        if subject.codes:
            codes_q = reduce(or_, (Q(imdrf_codes__contains=[code]) for code in subject.codes))
            parts.append(visible.filter(codes_q).order_by(*newest).values_list("pk", flat=True)[:CANDIDATES])
        if subject.title:
            # Nearest titles first, walked through the GiST trigram index (`<->`): bounded whatever the size
            # (a second sort key would defeat the index).
            nearest = visible.order_by(TrigramDistance("title", subject.title))
            parts.append(nearest.values_list("pk", flat=True)[:CANDIDATES])
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return set(parts[0].union(*parts[1:]))
    return {pk for part in parts for pk in part}  # SQLite: no LIMIT inside a UNION


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def _text_similarity(subject: Subject, alert: Alert) -> float:
    """pg_trgm's similarity where it ran in SQL; otherwise the Jaccard overlap of the titles' words."""
    annotated = getattr(alert, "similarity", None)
    if annotated is not None:
        return float(annotated)
    mine, theirs = _words(subject.title), _words(alert.title)
    return len(mine & theirs) / len(mine | theirs) if mine and theirs else 0.0


def _score(subject: Subject, alert: Alert, shares_tool: bool) -> Related | None:
    reasons: list[str] = []
    score = 0.0
    if shares_tool:
        reasons.append("same tool")
        score += WEIGHT_TOOL
    shared_codes = [code for code in subject.codes if code in (alert.imdrf_codes or [])]
    if shared_codes:
        reasons.extend(f"IMDRF code {code}" for code in shared_codes)
        score += WEIGHT_CODES * len(shared_codes) / len(subject.codes)
    similarity = _text_similarity(subject, alert)
    if similarity >= SIMILAR_TEXT:
        reasons.append("similar text")
        score += WEIGHT_TEXT * similarity
    return Related(alert=alert, score=round(score, 3), reasons=reasons) if reasons else None


def related_for(*, member: Member, subject: Subject, limit: int = RELATED_LIMIT) -> list[Related]:
    """The published alerts `member` may see that look related to `subject`, best first (then newest)."""
    visible = alerts_visible_to(member=member).exclude(status=AlertStatus.DRAFT)
    if subject.exclude_pk is not None:
        visible = visible.exclude(pk=subject.exclude_pk)
    ids = _candidates(visible, subject)
    if not ids:
        return []
    rows: QuerySet[Alert] = (
        Alert.objects.filter(pk__in=ids).select_related("publisher")
        .only("id", "reference", "title", "imdrf_codes", "published_at", "publisher__code")
        .annotate(shares_tool=Exists(AlertTool.objects.filter(alert=OuterRef("pk"), tool_id__in=subject.tool_ids)))
    )
    if connection.vendor == "postgresql" and subject.title:
        rows = rows.annotate(similarity=TrigramSimilarity("title", subject.title))
    found = [r for r in (_score(subject, alert, bool(getattr(alert, "shares_tool", False))) for alert in rows) if r is not None]
    found.sort(key=lambda r: (-r.score, -(r.alert.published_at.timestamp() if r.alert.published_at else 0)))
    return found[:limit]


def alerts_related(*, member: Member, alert: Alert, limit: int = RELATED_LIMIT) -> list[Related]:
    """For a saved alert the member may see (the caller checks that: an invisible alert is a 404)."""
    return related_for(member=member, subject=Subject.of(alert), limit=limit)


def subject_from_form(*, title: str, tool_ids: Iterable[Any], codes: Iterable[str], exclude_pk: Any = None) -> Subject:
    """For a draft still in its form ("before you publish")."""
    return Subject(title=title or "", tool_ids=frozenset(tool_ids), codes=tuple(codes), exclude_pk=exclude_pk)
