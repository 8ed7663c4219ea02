"""What an e-mail says about an event, from the app that owns the object: describers, by registration.

`exchange` never imports `alerts`, yet an e-mail must name an alert in words (reference, tool,
title, severity) and link to its page, and a digest must leave out what the member may no longer
see. So the app that owns an object type registers a describer for it when Django starts
(`AlertsConfig.ready` calls `register_describer("alert", ...)`), as it registers its vocabularies:

    describer(member, events) -> {event id: Notice}

Given events of its object type that one member's subscriptions matched, it answers a `Notice` for
each event whose object the member may see *now* (the visibility rules of SPEC §3, applied when
the e-mail is written); an event it leaves out is left out of the e-mail. Object types nobody
registered (e.g. a webhook endpoint, or an object type added before its describer) are told from
the event alone, and only while the member is still in the event's audience.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.choices import AudienceKind, EventType, MemberStatus, PreferenceItem
from exchange.models import Event, EventAudience, Member

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _built(build: Callable[[], str]) -> str:
    return build()


# `later(lambda: gettext("…") % {…})`: text put together when it is shown, so in the language active
# then — the recipient's, which the e-mail renderer activates — rather than the one active when the
# notice was written (a worker's, or the member's whose action caused it). A notice's `what`,
# `title` and `lines` are such lazy texts (or gettext_lazy ones), never words fixed in English.
later = lazy(_built, str)


@dataclass(frozen=True)
class Notice:
    """One item of an e-mail, in words: never an id or a raw enum value in `subject`, `title` or `lines`.

    Words are lazy (gettext_lazy, `later`): they are translated when the e-mail is rendered in its
    reader's language."""

    item: str  # the preference item (exchange.choices.PreferenceItem) it is sent by
    what: StrOrPromise  # what happened, e.g. "Safety alert published"
    title: StrOrPromise  # names the thing, e.g. "SAX-2026-7KQ2M9 · Critical · Sepsis risk score misses …"
    path: str  # the page, a path under SITE_URL
    lines: tuple[tuple[StrOrPromise, StrOrPromise], ...] = ()  # (label, value) details, in words
    deadline: datetime | None = None  # the member's deadline, if it has one
    urgency: int = 0  # within one item: higher first


def notice_subject(notice: Notice) -> str:
    """"What happened: what it concerns", an e-mail's subject (lazy: in the reader's language)."""
    return later(lambda: gettext("%(what)s: %(title)s") % {"what": notice.what, "title": notice.title})


Describer = Callable[[Member, Sequence[Event]], dict[uuid.UUID, Notice]]

_DESCRIBERS: dict[str, Describer] = {}
# object type -> (ids -> the ids of those that exist): tells "hidden from this member" from "no such object".
_EXISTS: dict[str, Callable[[list[str]], set[str]]] = {}


def register_describer(
    object_type: str, describer: Describer, *, exists: Callable[[list[str]], set[str]] | None = None
) -> None:
    _DESCRIBERS[object_type] = describer
    if exists is not None:
        _EXISTS[object_type] = exists


def object_exists(event: Event) -> bool:
    """Whether the object an event concerns exists (True when its app registered no check)."""
    check = _EXISTS.get(event.object_type)
    return True if check is None else event.object_id in check([event.object_id])


# The events whose kind of item a person chooses (SPEC §10.4); others (acknowledgement.updated,
# authorisation.changed, audit.checkpoint, ping) reach the member's notifications and its shared
# mailboxes only.
_ITEM_BY_TYPE: dict[str, str] = {
    "report.published": PreferenceItem.REPORT,
    "signal.detected": PreferenceItem.SIGNAL,
    "acknowledgement.overdue": PreferenceItem.PROBLEM,
    "endpoint.disabled": PreferenceItem.PROBLEM,
}


def notice_item(event_type: str, facets: dict[str, object] | None) -> str | None:
    """The preference item an event is sent by, or None if no person is e-mailed about it."""
    if event_type.startswith("alert."):
        severity = str((facets or {}).get("severity") or "medium")
        item = f"alert.{severity}"
        return item if item in PreferenceItem.values else PreferenceItem.ALERT_MEDIUM
    if event_type.startswith("reliance.review_"):
        return PreferenceItem.RELIANCE_REVIEW
    if event_type.startswith("request."):
        return PreferenceItem.REQUEST
    return _ITEM_BY_TYPE.get(event_type)


def addressed_to(event: Event, member_code: str) -> bool:
    """Whether a request event is addressed to the member (its payload's `to`, SPEC Appendix B);
    any other event counts as addressed."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    to = payload.get("to")
    if not event.type.startswith("request.") or not isinstance(to, list):
        return True
    return member_code in {str(code).upper() for code in to}


def event_label(event_type: str) -> StrOrPromise:
    """An event type in words ("Safety alert published"), from the one vocabulary of types."""
    try:
        return EventType(event_type).label  # lazy: in the reader's language when shown
    except ValueError:
        return event_type.replace("_", " ").replace(".", ": ").capitalize()


def _still_in_audience(member: Member, events: Sequence[Event]) -> set[uuid.UUID]:
    if member.status != MemberStatus.ACTIVE:
        return set()
    listed = set(
        EventAudience.objects.filter(member=member, event_id__in=[e.pk for e in events]).values_list("event_id", flat=True)
    )
    return {e.pk for e in events if e.audience_kind != AudienceKind.MEMBERS or e.pk in listed}


def _from_event(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    """An event nobody describes: its type in words and what its payload names, while still addressed
    to the member."""
    visible = _still_in_audience(member, events)
    notices = {}
    for event in events:
        item = notice_item(event.type, event.facets)
        if event.pk not in visible or item is None:
            continue
        payload = event.payload if isinstance(event.payload, dict) else {}
        title = str(payload.get("title") or payload.get("reference") or payload.get("question")
                    or payload.get("description") or "")
        lines = tuple(
            (label, str(payload[key])) for key, label in (("url", _("Address")), ("disabled_reason", _("Reason")))
            if payload.get(key)
        )
        path = f"/webhooks/{event.object_id}/" if event.object_type == "endpoint" else "/notifications/"
        notices[event.pk] = Notice(item=item, what=event_label(event.type), title=title or event_label(event.type),
                                   path=path, lines=lines)
    return notices


def notices_for(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    """A notice for each event whose object the member may see now; the others are left out."""
    by_type: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_type[event.object_type].append(event)
    notices: dict[uuid.UUID, Notice] = {}
    for object_type, group in by_type.items():
        describer = _DESCRIBERS.get(object_type, _from_event)
        notices.update(describer(member, group))
    return notices


@dataclass
class Grouped:
    """Notices grouped by item, most urgent item first (PreferenceItem's order), most urgent first within."""

    groups: list[tuple[StrOrPromise, list[Notice]]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(notices) for _, notices in self.groups)


def grouped(notices: Sequence[Notice]) -> Grouped:
    order = {item: index for index, item in enumerate(PreferenceItem.values)}
    by_item: dict[str, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_item[notice.item].append(notice)
    return Grouped(groups=[
        (PreferenceItem(item).label, sorted(by_item[item], key=lambda n: -n.urgency))
        for item in sorted(by_item, key=lambda item: order.get(item, len(order)))
    ])
