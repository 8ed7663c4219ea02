"""E-mails to one person: written once (a `PersonalEmail` with a unique key), sent by a delivery.

The one e-mail path: immediate notifications (from fan-out), reminders (overdue acknowledgements,
requests, reviews: `reminder_email_write`), daily digests and the hourly "and N more" summaries
(exchange.services.digests) are all rendered here, in the recipient's time zone, and handed to the
delivery pump as `Delivery` rows (channel e-mail, no event), with attempts and retries like every
other message. Writing an e-mail whose key exists already writes nothing: a re-run, a second sweep
or a redelivered task never sends it twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from exchange.choices import Channel, MailKind, MemberStatus, NoticeMode, PreferenceItem
from exchange.models import Delivery, EmailQuota, Event, Member, PersonalEmail, User
from exchange.notices import Notice, addressed_to, grouped, later, notice_item, notice_subject, notices_for
from exchange.services.deliveries import pumps
from exchange.services.deliveries.schedule import first_attempt_at
from exchange.services.mail_render import (
    Rendered,
    render,
)
from exchange.services.preferences import Preferences, preferences_of_users


def _delivery_for(user: User, now: datetime) -> Delivery:
    assert user.member_id is not None
    # Due from the real clock, also when the caller acts "as if" at another time (send_digests --now).
    return Delivery.objects.create(
        event=None, member_id=user.member_id, channel=Channel.EMAIL, email=user.email,
        next_attempt_at=first_attempt_at(min(now, timezone.now())), created_at=now,
    )


def kick_on_commit(count: int) -> None:
    """Queue delivery pumps for `count` new e-mails once the transaction commits (at once outside one)."""
    if count:
        transaction.on_commit(lambda: pumps.pumps_queue(deliveries=count))


def personal_email_write(
    *, user: User, kind: str, key: str, rendered: Rendered | None, events: Sequence[uuid.UUID | str] = (),
    held: bool = False,
    period_end: datetime | None = None, now: datetime | None = None, kick: bool = True,
) -> PersonalEmail | None:
    """Write one e-mail to a person (and its delivery, unless it is held or empty), once per key.

    Returns None when the key was written before (nothing is written again)."""
    now = now or timezone.now()
    with transaction.atomic():
        if PersonalEmail.objects.filter(key=key).exists():
            return None
        try:
            with transaction.atomic():
                mail = PersonalEmail.objects.create(
                    user=user, kind=kind, key=key, events=[str(e) for e in events], held=held, period_end=period_end,
                    subject=rendered.subject if rendered else "", text=rendered.text if rendered else "",
                    html=rendered.html if rendered else "", created_at=now,
                )
        except IntegrityError:  # written concurrently under the same key
            return None
        if rendered is not None and not held:
            mail.delivery = _delivery_for(user, now)
            mail.save(update_fields=["delivery"])
            if kick:  # callers writing many queue one pump for all of them
                kick_on_commit(1)
    return mail


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def _take_slot(user: User, now: datetime) -> bool:
    """One of the user's EMAIL_IMMEDIATE_PER_HOUR slots of this hour, if one is left (one conditional UPDATE)."""
    hour = hour_of(now)
    EmailQuota.objects.bulk_create([EmailQuota(user=user, hour=hour, sent=0)], ignore_conflicts=True)
    return bool(
        EmailQuota.objects.filter(user=user, hour=hour, sent__lt=settings.EMAIL_IMMEDIATE_PER_HOUR)
        .update(sent=F("sent") + 1)
    )


def notification_reason(*, member: str, item: str) -> str:
    """The footer of an immediate e-mail (lazy: in the reader's language)."""
    return later(lambda: gettext(
        "You receive this because a subscription of %(member)s matched it and your notification preferences "
        "send %(item)s at once.") % {"member": member, "item": item_words(item)})


def immediate_email_write(*, user: User, event: Event, notice: Notice, preferences: Preferences,
                          now: datetime | None = None) -> PersonalEmail | None:
    """The immediate e-mail of one event to one person, or, over the hourly cap, a held one."""
    now = now or timezone.now()
    key = f"event:{event.pk}:{user.pk}"
    with transaction.atomic():
        if PersonalEmail.objects.filter(key=key).exists():
            return None
        assert user.member is not None
        rendered = render(
            subject=notice_subject(notice), heading=notice.what, groups=grouped([notice]),
            preferences=preferences, reason=notification_reason(member=user.member.code, item=notice.item),
        )
        held = not _take_slot(user, now)
        return personal_email_write(user=user, kind=MailKind.IMMEDIATE, key=key, rendered=rendered,
                                    events=[event.pk], held=held, now=now, kick=False)


def item_words(item: str) -> str:
    """A kind of item in words, lower case, in the language active now ("critical safety alerts")."""
    try:
        return str(PreferenceItem(item).label).lower()
    except ValueError:
        return item


def _recipients(member_ids: Sequence[int]) -> dict[int, list[User]]:
    users: dict[int, list[User]] = {}
    for user in (
        User.objects.filter(member_id__in=member_ids, is_active=True, member__status=MemberStatus.ACTIVE)
        .select_related("member").order_by("pk")
    ):
        users.setdefault(user.member_id or 0, []).append(user)
    return users


def event_emails_write(*, event: Event, member_ids: Sequence[int], now: datetime | None = None) -> int:
    """The immediate e-mails of an event to the people of the members whose subscriptions matched it,
    by each person's preferences; what they want in the digest is read from notifications later.

    Idempotent (one key per event and person), so fan-out may run it again."""
    item = notice_item(event.type, event.facets)
    if item is None or not member_ids:
        return 0
    written = 0
    by_member = _recipients(member_ids)
    preferences = preferences_of_users(user_ids=[u.pk for users in by_member.values() for u in users])
    members = {m.pk: m for m in Member.objects.filter(pk__in=by_member.keys())}
    for member_id, users in by_member.items():
        addressed = addressed_to(event, members[member_id].code)
        wanting = [u for u in users if preferences[u.pk].mode_for(item, addressed=addressed) == NoticeMode.IMMEDIATE]
        if not wanting:
            continue
        notice = notices_for(members[member_id], [event]).get(event.pk)
        if notice is None:  # the member may no longer see it
            continue
        for user in wanting:
            if immediate_email_write(user=user, event=event, notice=notice, preferences=preferences[user.pk],
                                     now=now) is not None:
                written += 1
    kick_on_commit(written)
    return written


def reminder_email_write(*, users: Sequence[User], key: str, notice: Notice, reason: str,
                         subject: str | None = None) -> int:
    """A reminder (an overdue acknowledgement, request or review) to each of these people, once per key.

    `key` names what is reminded of; each person's e-mail is keyed `key:user`. When the key is the
    `event:<id>` of the event that reports the same thing, a person whose preferences also send that
    event at once gets one e-mail, not two."""
    preferences = preferences_of_users(user_ids=[u.pk for u in users])
    written = 0
    for user in users:
        if user.member_id is None or not user.is_active:
            continue
        rendered = render(subject=subject or notice_subject(notice), heading=notice.what,
                          groups=grouped([notice]), preferences=preferences[user.pk], reason=reason)
        if personal_email_write(user=user, kind=MailKind.REMINDER, key=f"{key}:{user.pk}", rendered=rendered,
                                kick=False):
            written += 1
    kick_on_commit(written)
    return written
