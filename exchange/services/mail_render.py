"""How an e-mail to a person reads (SPEC §10.4): the subject, the plain-text and HTML parts, links under
SITE_URL and the footer. Pure rendering, apart from the delivery machinery (exchange/services/mail.py
writes and queues what this renders), so that the pump's shared-mailbox e-mails render the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from exchange.notices import Grouped
from exchange.services.preferences import Preferences

BRAND = "AI Safety Alert Exchange"
PREFERENCES_PATH = "/accounts/notifications/"


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def local_time(at: datetime | None, preferences: Preferences) -> str:
    """A moment in the recipient's time zone, in words: "Friday 4 December 2026, 14:00 (Europe/London)"."""
    if at is None:
        return ""
    local = at.astimezone(preferences.zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} ({preferences.timezone})"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(*, subject: str, heading: str, groups: Grouped, preferences: Preferences, reason: str,
           more: int = 0) -> Rendered:
    """Plain text and HTML (escaped by the template engine) of one e-mail; the subject in words."""
    context: dict[str, object] = {
        "brand": BRAND,
        "heading": heading,
        "groups": [
            (label, [
                {"notice": notice, "link": site_link(notice.path),
                 "deadline": local_time(notice.deadline, preferences)}
                for notice in notices
            ])
            for label, notices in groups.groups
        ],
        "more": more,
        "reason": reason,
        "preferences_link": site_link(PREFERENCES_PATH),
        "notifications_link": site_link("/notifications/"),
    }
    subject = " ".join(f"[{BRAND}] {subject}".split())[:250]
    # The e-mail's own words (headings, footer, links' labels) in the person's language (SPEC §10.5).
    with translation.override(preferences.language or settings.LANGUAGE_CODE):
        return Rendered(
            subject=subject,
            text=render_to_string("exchange/email/personal.txt", context),
            html=render_to_string("exchange/email/personal.html", context),
        )
