"""How an e-mail to a person reads (SPEC §10.4): the subject, the plain-text and HTML parts, links under
SITE_URL and the footer. Pure rendering, apart from the delivery machinery (exchange/services/mail.py
writes and queues what this renders), so that the pump's shared-mailbox e-mails render the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import dateformat, translation
from django.utils.translation import pgettext

from exchange.notices import Grouped
from exchange.services.preferences import Preferences

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BRAND = "AI Safety Alert Exchange"
PREFERENCES_PATH = "/accounts/notifications/"


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def local_time(at: datetime | None, preferences: Preferences) -> str:
    """A moment in the recipient's time zone and language: "Friday 4 December 2026, 14:00 (Europe/London)",
    "vendredi 4 décembre 2026 à 14:00 (Europe/Paris)". Called with the recipient's language active."""
    if at is None:
        return ""
    local = at.astimezone(preferences.zone)
    # Translators: Django's date format (l weekday, j day, F month, Y year, H:i time); escape letters with \\.
    pattern = pgettext("e-mail date and time", "l j F Y, H:i")
    return f"{dateformat.format(local, pattern)} ({preferences.timezone})"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(*, subject: StrOrPromise, heading: StrOrPromise, groups: Grouped, preferences: Preferences,
           reason: StrOrPromise,
           more: int = 0) -> Rendered:
    """Plain text and HTML (escaped by the template engine) of one e-mail; the subject in words.

    Everything the e-mail says — its own words, the notices' lazy texts, dates — is put into words
    here, with the person's language active (SPEC §10.5), whatever language the caller had."""
    with translation.override(preferences.language or settings.LANGUAGE_CODE):
        context: dict[str, object] = {
            "brand": BRAND,
            "heading": str(heading),
            "groups": [
                (str(label), [
                    {"notice": notice, "link": site_link(notice.path),
                     "deadline": local_time(notice.deadline, preferences)}
                    for notice in notices
                ])
                for label, notices in groups.groups
            ],
            "more": more,
            "reason": str(reason),
            "preferences_link": site_link(PREFERENCES_PATH),
            "notifications_link": site_link("/notifications/"),
        }
        return Rendered(
            subject=" ".join(f"[{BRAND}] {subject}".split())[:250],
            text=render_to_string("exchange/email/personal.txt", context),
            html=render_to_string("exchange/email/personal.html", context),
        )
