"""Template tags of information requests: the requests about a subject.

They let a page include `alerts/_ask_question.html` with one line, reading through the requests'
visibility selector with the signed-in member (`portal`). The inbox reads those awaiting an answer itself
(it counts them for the navigation too).
"""

from __future__ import annotations

from typing import Any

from django import template

from alerts.inquiry_selectors import inquiries_visible_to, inquiries_with_details
from alerts.models import Inquiry, SubjectKind
from exchange.choices import Scope

register = template.Library()


@register.filter
def can_ask(portal: Any) -> bool:
    return bool(portal is not None and portal.can(Scope.ACKNOWLEDGE))


@register.simple_tag(takes_context=True)
def inquiries_about(context: Any, kind: str, subject: Any) -> list[Inquiry]:
    portal = context.get("portal")
    if portal is None or kind not in SubjectKind.values:
        return []
    visible = inquiries_visible_to(member=portal.member).filter(**{kind: subject})
    return list(inquiries_with_details(visible).order_by("-created_at")[:50])
