"""The daily digest and the hourly "and N more" e-mail (SPEC §10.4): one code path for
`manage.py send_digests` and the periodic task `exchange.digests_send`.

A user's digest is due once its local time (its own time zone) has reached its digest hour, once
per local day: the key `digest:<user>:<local date>` is written with the e-mail and its delivery in
one transaction, before anything is sent, so a second run in the hour — or a run after a worker
died between sending and recording — finds the key and writes nothing. The pump then sends the one
delivery at least once, with one Message-ID.

What it holds: the member's notifications since the user's previous digest (at most a day back for
the first), of the kinds the user wants in the digest, each re-described — and so re-checked for
visibility — now (exchange.notices). Nothing left: no e-mail (never an empty digest); the day is
still marked, so the next digest starts from here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext, pgettext

from exchange.choices import MailKind, MemberStatus, NoticeMode
from exchange.models import Event, Notification, PersonalEmail, User
from exchange.notices import Grouped, Notice, addressed_to, grouped, later, notice_item, notices_for
from exchange.services.mail import hour_of, item_words, kick_on_commit, personal_email_write
from exchange.services.mail_render import Rendered, render
from exchange.services.preferences import Preferences, preferences_of_users

logger = logging.getLogger(__name__)

FIRST_DIGEST_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class DigestRun:
    digests: int = 0  # digests written (e-mails)
    empty: int = 0  # due digests with nothing to tell (marked, not sent)
    summaries: int = 0  # "and N more" e-mails written


def _due_users(now: datetime) -> list[tuple[User, Preferences, str]]:
    """Users whose digest of their local day is due and not yet written, with that day's key."""
    users = list(
        User.objects.filter(is_active=True, member__isnull=False, member__status=MemberStatus.ACTIVE)
        .select_related("member").order_by("pk")
    )
    preferences = preferences_of_users(user_ids=[u.pk for u in users])
    due: list[tuple[User, Preferences, str]] = []
    for user in users:
        prefs = preferences[user.pk]
        local = now.astimezone(prefs.zone)
        if local.hour >= prefs.digest_hour:
            due.append((user, prefs, f"digest:{user.pk}:{local.date().isoformat()}"))
    written = set(PersonalEmail.objects.filter(key__in=[key for _, _, key in due]).values_list("key", flat=True))
    return [entry for entry in due if entry[2] not in written]


def _digest_events(user: User, prefs: Preferences, now: datetime) -> list[Event]:
    previous = (
        PersonalEmail.objects.filter(user=user, kind=MailKind.DIGEST, period_end__isnull=False)
        .order_by("-period_end").values_list("period_end", flat=True).first()
    )
    since = previous or now - FIRST_DIGEST_LOOKBACK
    code = user.member.code if user.member else ""
    rows = (
        Notification.objects.filter(member_id=user.member_id or 0, created_at__gt=since, created_at__lte=now)
        .select_related("event").order_by("sequence")
    )
    return [
        row.event for row in rows
        if (item := notice_item(row.event.type, row.event.facets)) is not None
        and prefs.mode_for(item, addressed=addressed_to(row.event, code)) == NoticeMode.DAILY_DIGEST
    ]


def digest_write(*, user: User, preferences: Preferences, key: str, now: datetime) -> bool | None:
    """Write one user's digest of the day: True if an e-mail, False if nothing to tell, None if written before."""
    member = user.member
    assert member is not None
    with transaction.atomic():
        events = _digest_events(user, preferences, now)
        notices = notices_for(member, events) if events else {}
        ordered = [notices[e.pk] for e in events if e.pk in notices]
        rendered = None
        if ordered:
            rendered = _digest_render(grouped(ordered), member.code, now.astimezone(preferences.zone), preferences)
        mail = personal_email_write(
            user=user, kind=MailKind.DIGEST, key=key, rendered=rendered,
            events=[e.pk for e in events if e.pk in notices], period_end=now, now=now, kick=False,
        )
    if mail is None:
        return None
    return rendered is not None


def _summary_write(user: User, hour: datetime, held: list[PersonalEmail], prefs: Preferences) -> bool:
    """The "and N more" e-mail of one user's hour: what the cap held back, still visible now."""
    member = user.member
    assert member is not None
    event_ids = [event_id for mail in held for event_id in mail.events]
    events = list(Event.objects.filter(pk__in=event_ids).order_by("sequence"))
    notices = notices_for(member, events) if events else {}
    ordered = [notices[e.pk] for e in events if e.pk in notices]
    rendered = None
    if ordered:
        rendered = _summary_render(ordered, hour, prefs)
    written = personal_email_write(user=user, kind=MailKind.MORE, key=f"more:{user.pk}:{hour.isoformat()}",
                                   rendered=rendered, events=[e.pk for e in events if e.pk in notices], kick=False)
    PersonalEmail.objects.filter(pk__in=[mail.pk for mail in held]).update(held=False)
    return written is not None and rendered is not None


def _digest_render(groups: Grouped, member: str, local: datetime, preferences: Preferences) -> Rendered:
    """The digest's words, lazy, so that they are put in the reader's language when rendered."""
    def subject() -> str:
        counts = ", ".join(f"{len(items)} {str(label).lower()}" for label, items in groups.groups)
        # Translators: Django's date format of the digest's day (j day, F month, Y year).
        day = dateformat.format(local, pgettext("digest day", "j F Y"))
        return gettext("Daily digest for %(day)s: %(counts)s") % {"day": day, "counts": counts}

    return render(
        subject=later(subject),
        heading=later(lambda: ngettext("Your daily digest: %(count)d item", "Your daily digest: %(count)d items",
                                       groups.count) % {"count": groups.count}),
        groups=groups, preferences=preferences,
        reason=later(lambda: gettext(
            "You receive this daily digest because subscriptions of %(member)s matched these items and your "
            "notification preferences send them in the daily digest.") % {"member": member}),
    )


def _summary_render(ordered: list[Notice], hour: datetime, prefs: Preferences) -> Rendered:
    """The "and N more" e-mail's words, lazy like the digest's."""
    end = hour + timedelta(hours=1)

    def span() -> str:
        return gettext("%(start)s to %(end)s (%(zone)s)") % {
            "start": f"{hour.astimezone(prefs.zone):%H:%M}", "end": f"{end.astimezone(prefs.zone):%H:%M}",
            "zone": prefs.timezone}

    count = len(ordered)
    return render(
        subject=later(lambda: gettext("And %(count)d more: notifications held back from %(span)s")
                      % {"count": count, "span": span()}),
        heading=later(lambda: gettext("And %(count)d more") % {"count": count}),
        groups=grouped(ordered), preferences=prefs, more=count,
        reason=later(lambda: gettext(
            "You receive this because more than your hourly limit of immediate e-mails matched between %(span)s; "
            "your notification preferences send %(items)s at once.")
            % {"span": span(), "items": ", ".join(sorted({item_words(n.item) for n in ordered}))}),
    )


def summaries_write(*, now: datetime) -> int:
    """The "and N more" e-mail of each hour that has ended with e-mails held back by the cap."""
    held = list(
        PersonalEmail.objects.filter(held=True, created_at__lt=hour_of(now)).select_related("user__member")
        .order_by("created_at")
    )
    by_user_hour: dict[tuple[int, datetime], list[PersonalEmail]] = defaultdict(list)
    for mail in held:
        by_user_hour[(mail.user_id, hour_of(mail.created_at))].append(mail)
    preferences = preferences_of_users(user_ids=sorted({user_id for user_id, _ in by_user_hour}))
    written = 0
    for (user_id, hour), mails in by_user_hour.items():
        with transaction.atomic():
            # Claim the hour's held e-mails: a concurrent run that took them first leaves none here.
            ids = list(PersonalEmail.objects.select_for_update(skip_locked=True, of=("self",))
                       .filter(pk__in=[m.pk for m in mails], held=True).values_list("pk", flat=True))
            claimed = [m for m in mails if m.pk in set(ids)]
            if claimed and _summary_write(claimed[0].user, hour, claimed, preferences[user_id]):
                written += 1
    return written


def digests_send(*, now: datetime | None = None) -> DigestRun:
    """Every digest that is due and every hour's "and N more": what `send_digests` and beat run."""
    now = now or timezone.now()
    digests = empty = 0
    for user, prefs, key in _due_users(now):
        try:
            result = digest_write(user=user, preferences=prefs, key=key, now=now)
        except Exception:  # one user's failure must not stop the others' digests
            logger.exception("The digest of user %s failed; the next run retries it", user.pk)
            continue
        if result is True:
            digests += 1
        elif result is False:
            empty += 1
    summaries = summaries_write(now=now)
    kick_on_commit(digests + summaries)  # one kick for all of them (no transaction is open here)
    return DigestRun(digests=digests, empty=empty, summaries=summaries)
