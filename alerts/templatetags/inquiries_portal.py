"""Template tags of information requests: the requests about a subject.

They let a page include `alerts/_ask_question.html` with one line, reading through the requests'
visibility selector with the signed-in member (`portal`). The inbox reads those awaiting an answer itself
(it counts them for the navigation too).
"""

from __future__ import annotations

from typing import Any

from django import template

from alerts.inquiry_selectors import inquiries_about as inquiries_about_selector
from alerts.inquiry_selectors import inquiries_with_details
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
    about = inquiries_about_selector(member=portal.member, kind=kind, subject=subject)
    return list(inquiries_with_details(about).order_by("-created_at")[:50])
