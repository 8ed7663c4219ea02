"""Rendering an event once for all its deliveries: the webhook body and the e-mail."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext

from exchange.choices import EventType
from exchange.json_types import JSONObject
from exchange.links import event_link
from exchange.models import Event, PersonalEmail
from exchange.vocabularies import LABELS


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


# Stands for the receiving member's sequence while the body is rendered once per event.
_SEQUENCE_MARK = -8_191_543_219_876_543
_SEQUENCE_TEXT = f'"sequence":{_SEQUENCE_MARK}'


def _webhook_template(event: Event) -> tuple[str, str]:
    """The body rendered once per event, split where the receiving member's sequence goes.

    `data` opens with `event_id` then `sequence`, and JSON escapes every quote inside a string, so
    the first `"sequence":<mark>` of the text is that key.
    """
    data: JSONObject = {"event_id": str(event.pk), "sequence": _SEQUENCE_MARK}
    payload = event.payload if isinstance(event.payload, dict) else {}
    data.update({key: value for key, value in payload.items() if key not in data})
    link = event_link(event.object_type, event.object_id, payload)
    if link is not None and "link" not in data:
        data["link"] = link  # the page showing the object, under SITE_URL
    body = {"type": event.type, "timestamp": _iso(event.created_at), "data": data}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    head, _, tail = text.partition(_SEQUENCE_TEXT)
    return head + '"sequence":', tail


def webhook_body(event: Event, sequence: int) -> str:
    """`{"type", "timestamp", "data": {"event_id", "sequence", ...the object...}}`, compact JSON, where
    `sequence` is the event's number in the receiving member's feed."""
    head, tail = _webhook_template(event)
    return f"{head}{int(sequence)}{tail}"


def email_content(event: Event) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the e-mail for one event (the same for every recipient)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    try:
        label = str(EventType(event.type).label)
    except ValueError:
        label = event.type
    title = str(payload.get("title") or payload.get("reference") or payload.get("alert_title") or label)
    context = {
        "notifications_link": settings.SITE_URL.rstrip("/") + "/notifications/",
        "event": event,
        "label": label,
        "title": title,
        "payload": payload,
        "link": event_link(event.object_type, event.object_id, payload),
        "details": [
            (name, LABELS.of(key, payload[key]))
            for key, name in (
                ("reference", "Reference"), ("publisher", "Published by"), ("severity", "Severity"),
                ("alert_type", "Type"), ("alert_reference", "Alert"), ("alert_title", "Title"), ("member", "Member"),
                ("summary", "Summary"),
                ("recommended_actions", "Recommended actions"), ("disabled_reason", "Reason"),
                ("url", "URL"),
            )
            if payload.get(key) not in (None, "", [])
        ],
    }
    subject = " ".join(f"[AI Safety Alert Exchange] {label}: {title}".split())[:250]
    text = render_to_string("exchange/email/event.txt", context)
    html = render_to_string("exchange/email/event.html", context)
    return subject, text, html


@dataclass
class RenderedEvent:
    """An event rendered once for all its deliveries; each webhook body differs only by the
    receiving member's sequence, put in by `body_for`."""

    event: Event
    head: str
    tail: str
    email: tuple[str, str, str] | None = None

    @classmethod
    def of(cls, event: Event) -> RenderedEvent:
        head, tail = _webhook_template(event)
        return cls(event=event, head=head, tail=tail)

    def body_for(self, sequence: int) -> str:
        return f"{self.head}{int(sequence)}{self.tail}"

def personal_contents(delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str, str]]:
    """Subject, text and HTML of e-mails to one person (rendered once when written), by delivery id."""
    if not delivery_ids:
        return {}
    return {
        delivery_id: (subject, text, html)
        for delivery_id, subject, text, html in PersonalEmail.objects.filter(delivery_id__in=delivery_ids)
        .values_list("delivery_id", "subject", "text", "html")
    }


def shared_mailbox_email(event: Event, member_id: int) -> tuple[str, str, str] | None:
    """The e-mail of an event to a subscription's mailbox, told in words for that member by the app
    that owns the object (exchange.notices), with a link and a footer; None when the member may no
    longer see it. Events no person chooses (e.g. acknowledgement.updated) keep the generic e-mail."""
    from exchange.models import Member
    from exchange.notices import grouped, later, notice_item, notice_subject, notices_for, object_exists
    from exchange.services.mail_render import render
    from exchange.services.preferences import Preferences

    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return None
    if notice_item(event.type, event.facets) is None:
        return email_content(event)
    notice = notices_for(member, [event]).get(event.pk)
    if notice is None:
        # Hidden from the member now: nothing. No such object at all (nothing to hide): the event's own e-mail.
        return None if object_exists(event) else email_content(event)
    rendered = render(
        subject=notice_subject(notice), heading=notice.what, groups=grouped([notice]),
        preferences=Preferences(),
        reason=later(lambda: gettext(
            "You receive this because a subscription of %(member)s in the AI Safety Alert Exchange sends what it "
            "matches to this address; its admins manage the subscription.") % {"member": member.code}),
    )
    return rendered.subject, rendered.text, rendered.html
