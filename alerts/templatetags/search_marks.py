"""Search marks and the related/links panels of the portal (SPEC §10.6).

`highlight` marks the searched words in a text. The mark is built from escaped text: every piece of the
text is escaped first and only our own `<mark>` tags are added, so a title holding markup stays text.
"""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from alerts.links import alert_summary, link_render, links_of_alert
from alerts.models import Alert, LinkKind
from alerts.related import Related, alerts_related
from alerts.search import search_words
from exchange.choices import Scope

register = template.Library()

EXCERPT_CHARS = 180
_SUFFIXES = ("ing", "es", "ed", "s")


def _stem(word: str) -> str:
    """A crude stem, so that "nodules" marks "nodule" too (PostgreSQL matched them by their stems)."""
    lowered = word.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) - len(suffix) >= 3:
            return lowered[: -len(suffix)]
    return lowered


def search_pattern(search: str) -> re.Pattern[str] | None:
    stems = sorted({_stem(word) for word in search_words(search or "")}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(stem) for stem in stems) + r")\w*", re.IGNORECASE)


def marked(text: str, pattern: re.Pattern[str] | None) -> SafeString:
    """`text` escaped, with each match of `pattern` (escaped too) inside `<mark>`."""
    text = str(text or "")
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped here
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position:match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        position = match.end()
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of user text above is escaped


@register.filter
def highlight(text: Any, search: str) -> SafeString:
    """`{{ alert.title|highlight:search }}`."""
    return marked(str(text or ""), search_pattern(search))


@register.filter
def highlight_excerpt(text: Any, search: str) -> SafeString:
    """About EXCERPT_CHARS characters of `text` around its first match, marked; blank if it has none."""
    text = str(text or "")
    pattern = search_pattern(search)
    found = pattern.search(text) if pattern else None
    if found is None:
        return mark_safe("")
    start = max(0, found.start() - EXCERPT_CHARS // 3)
    end = min(len(text), start + EXCERPT_CHARS)
    excerpt = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return marked(excerpt, pattern)


@register.simple_tag(takes_context=True)
def related_alerts(context: template.Context, alert: Alert) -> list[Related]:
    """Possibly related alerts for the signed-in member (visibility decided by alerts.related)."""
    portal = context.get("portal")
    if portal is None or not isinstance(alert, Alert):
        return []
    return alerts_related(member=portal.member, alert=alert)


@register.simple_tag(takes_context=True)
def alert_links(context: template.Context, alert: Alert) -> list[dict[str, Any]]:
    """The alert's links that the signed-in member may see (both ends), each with the alert at the other end
    and whether this user may remove it."""
    portal = context.get("portal")
    if portal is None or not isinstance(alert, Alert):
        return []
    may_link = portal.can(Scope.PUBLISH)
    rows = []
    for link in links_of_alert(member=portal.member, alert=alert):
        shown = link_render(link, seen_from=alert)
        other = link.target if shown["direction"] == "outgoing" else link.alert
        shown["other"] = {**alert_summary(other), "pk": other.pk}
        shown["removable"] = may_link and link.alert.publisher_id == portal.member.pk
        rows.append(shown)
    return rows


@register.simple_tag(takes_context=True)
def may_link(context: template.Context, alert: Alert) -> bool:
    """Whether the signed-in user may link this alert (its publishing member's publishers and admins)."""
    portal = context.get("portal")
    return bool(portal and alert and portal.can(Scope.PUBLISH) and alert.publisher_id == portal.member.pk)


@register.simple_tag
def link_kinds() -> list[tuple[str, str]]:
    return list(LinkKind.choices)
