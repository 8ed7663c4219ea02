"""Reads of links between alerts (SPEC §10.6): a link is shown to a member only when it may see both ends.

Every list, page and count of links starts from `links_visible_to`, which starts from alerts_visible_to.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from alerts.models import Alert, AlertLink, LinkKind
from alerts.selectors import alerts_visible_to
from exchange.models import Member

OUTGOING_LABELS = {
    LinkKind.RELATED: "related to",
    LinkKind.DUPLICATE_OF: "a duplicate of",
    LinkKind.FOLLOWS_UP: "follows up",
}
INCOMING_LABELS = {
    LinkKind.RELATED: "marked as related to this by {member}",
    LinkKind.DUPLICATE_OF: "marked as a duplicate of this by {member}",
    LinkKind.FOLLOWS_UP: "marked as following up this by {member}",
}


def links_visible_to(*, member: Member | None) -> QuerySet[AlertLink]:
    """The links whose both alerts the member may see."""
    visible = alerts_visible_to(member=member)
    return AlertLink.objects.filter(alert__in=visible.values("pk"), target__in=visible.values("pk"))


def links_of_alert(*, member: Member, alert: Alert) -> QuerySet[AlertLink]:
    """The links from and to `alert` (which the caller already knows the member may see), newest first."""
    return (
        links_visible_to(member=member).filter(Q(alert=alert) | Q(target=alert))
        .select_related("alert__publisher", "target__publisher", "created_by__member")
        .order_by("-created_at", "id")
    )


def alert_summary(alert: Alert) -> dict[str, Any]:
    """An alert named by another (related, links): enough to recognise and open it."""
    return {"id": str(alert.pk), "reference": alert.reference, "title": alert.title,
            "publisher": alert.publisher.code}


def link_render(link: AlertLink, *, seen_from: Alert) -> dict[str, Any]:
    """A link as read from one of its alerts: `alert` is the alert linked to, `source` the linking one."""
    outgoing = link.alert_id == seen_from.pk
    if outgoing:
        label = f"{OUTGOING_LABELS[LinkKind(link.kind)]} {link.target.reference or link.target.title}"
    else:
        label = INCOMING_LABELS[LinkKind(link.kind)].format(member=link.alert.publisher.code)
    return {
        "id": str(link.pk),
        "kind": link.kind,
        "note": link.note,
        "alert": alert_summary(link.target),
        "source": alert_summary(link.alert),
        "direction": "outgoing" if outgoing else "incoming",
        "label": label,
        "created_at": link.created_at.isoformat().replace("+00:00", "Z"),
    }
