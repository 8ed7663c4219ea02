"""Template helpers of the content's portal pages (the base page's inbox count)."""

from __future__ import annotations

from typing import Any

from django import template

from alerts.inquiry_selectors import inquiries_awaiting
from alerts.models import Acknowledgement, ToolVersion
from alerts.selectors import inbox_alerts_for, reliance_reviews_open_for
from alerts.services.acknowledgements import ack_previous
from exchange.portal.access import Portal

register = template.Library()


NAV_COUNT_CAP = 99  # above it the navigation shows "99+"


@register.simple_tag(takes_context=True)
def inbox_count(context: template.Context, portal: Portal | None) -> int | str:
    """How many alerts (and requests) await the member's action: the count next to "Inbox" in the navigation.

    Counted up to the cap only (it is on every page): the inbox itself shows the full count. Counting every
    open acknowledgement of a busy member cost a scan of its whole history on each page (scale 1.0). The
    inbox gives the total it read (`inbox_waiting`) and is not counted twice."""
    if portal is None:
        return 0
    known = context.get("inbox_waiting")
    if known is not None:
        return _capped(known)
    reviews = reliance_reviews_open_for(member=portal.member).count()  # open reliance reviews head the inbox
    # Unordered, so that the count stops at the cap (the inbox's default order, by member, sorted all of it).
    alerts = inbox_alerts_for(member=portal.member).values("pk")[:NAV_COUNT_CAP + 1].count()
    total = alerts + reviews + inquiries_awaiting(member=portal.member).count()  # and the questions awaiting us
    return _capped(total)


def _capped(total: int) -> int | str:
    return f"{NAV_COUNT_CAP}+" if total > NAV_COUNT_CAP else total


@register.simple_tag
def registered_versions() -> list[ToolVersion]:
    """Every registered, not withdrawn version with its tool: what the version fields suggest."""
    return list(ToolVersion.objects.filter(withdrawn=False).select_related("tool").order_by("tool__name", "created_at")[:1000])


@register.filter
def previous_answer(ack: Acknowledgement | None) -> dict[str, Any] | None:
    """`{% with previous=ack|previous_answer %}`: the member's last answer to an earlier revision
    (from the prefetched history), or None."""
    return ack_previous(ack) if ack is not None else None
