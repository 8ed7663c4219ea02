"""Template helpers of the content's portal pages (the base page's inbox count)."""

from __future__ import annotations

from typing import Any

from django import template

from alerts.models import Acknowledgement
from alerts.selectors import inbox_for
from alerts.services.acknowledgements import ack_previous
from exchange.portal.access import Portal

register = template.Library()


@register.simple_tag
def inbox_count(portal: Portal | None) -> int:
    """How many alerts await the member's action: the count next to "Inbox" in the navigation."""
    if portal is None:
        return 0
    return inbox_for(member=portal.member).filter(alert__isnull=False).count()


@register.filter
def previous_answer(ack: Acknowledgement | None) -> dict[str, Any] | None:
    """`{% with previous=ack|previous_answer %}`: the member's last answer to an earlier revision
    (from the prefetched history), or None."""
    return ack_previous(ack) if ack is not None else None
