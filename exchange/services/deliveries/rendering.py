"""Rendering an event once for all its deliveries: the webhook body and the e-mail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string

from exchange.choices import EventType
from exchange.links import event_link
from exchange.models import Event
from exchange.vocabularies import LABELS


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def webhook_body(event: Event) -> str:
    """`{"type", "timestamp", "data": {"event_id", "sequence", ...the object...}}`, compact JSON."""
    data: dict[str, Any] = {"event_id": str(event.pk), "sequence": event.sequence}
    payload = event.payload if isinstance(event.payload, dict) else {}
    data.update({key: value for key, value in payload.items() if key not in data})
    link = event_link(event.object_type, event.object_id, payload)
    if link is not None and "link" not in data:
        data["link"] = link  # the page showing the object, under SITE_URL
    body = {"type": event.type, "timestamp": _iso(event.created_at), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def email_content(event: Event) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the e-mail for one event (the same for every recipient)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    try:
        label = EventType(event.type).label
    except ValueError:
        label = event.type
    title = str(payload.get("title") or payload.get("reference") or f"{event.object_type} {event.object_id}")
    context = {
        "event": event,
        "label": label,
        "title": title,
        "payload": payload,
        "link": event_link(event.object_type, event.object_id, payload),
        "details": [
            (name, LABELS.of(key, payload[key]))
            for key, name in (
                ("reference", "Reference"), ("publisher", "Published by"), ("severity", "Severity"),
                ("alert_type", "Type"), ("status", "Status"), ("summary", "Summary"),
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
    event: Event
    body: str
    email: tuple[str, str, str] | None = None
