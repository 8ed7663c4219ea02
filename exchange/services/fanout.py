"""Fan-out: from one committed event to rows — notifications and deliveries — then traffic.

Rows before traffic: the recipients are found by one SQL query (subscriptions_matching), the
notifications and deliveries are bulk-created with unique keys, so a re-run (a redelivered task, the
sweeper, a concurrent dispatch) adds nothing; the event is marked dispatched in the same
transaction, and only once it commits are delivery pumps queued. The outbox sweeper re-runs
fan-out for any event still undispatched, and queues pumps for due deliveries nobody is sending.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from exchange.choices import Channel, EventType
from exchange.models import Delivery, Event, Subscription
from exchange.services.deliveries import first_attempt_at, pumps
from exchange.services.deliveries.leases import WebhookRows
from exchange.services.deliveries.store import delivery_store
from exchange.services.matching import subscriptions_matching
from exchange.transports.inbox import InboxTransport

logger = logging.getLogger(__name__)

CHUNK = 1000
SWEEP_EVENTS = 100


@dataclass(frozen=True)
class FanOut:
    event_id: uuid.UUID
    members: int
    deliveries: int
    lease: uuid.UUID | None = None  # the lease of the deliveries written leased to the first pump queued


T = TypeVar("T")


def _chunks(items: list[T], size: int = CHUNK) -> list[list[T]]:
    return [items[index:index + size] for index in range(0, len(items), size)]


def event_fan_out(*, event_id: str | uuid.UUID) -> FanOut | None:
    """Create the notifications and deliveries of one event, once. None if there is nothing to do.

    Two transactions, so that sending starts before the last row is written: the first writes the
    notifications and the first DELIVERY_MAX_IN_FLIGHT webhook deliveries, already leased to the
    pump it queues on commit (which reads them instead of claiming them); the second writes the
    other deliveries, marks the event dispatched and queues pumps for them. A crash between the two
    leaves the event undispatched: a re-run (a redelivered task, the sweeper) writes what is
    missing — every row has a unique key — and nothing twice.
    """
    try:
        event_id = uuid.UUID(str(event_id))
    except ValueError:
        return None
    lease = uuid.uuid4()
    first = members = 0
    subscription_ids: list[uuid.UUID] = []
    member_ids: list[int] = []
    with transaction.atomic():
        event = _undispatched(event_id)
        if event is None:
            return None
        if event.type != EventType.PING:  # a ping's one delivery is created with it
            matches = subscriptions_matching(event)
            by_member: dict[int, list[str]] = defaultdict(list)
            for subscription_id, member_id in matches:
                by_member[member_id].append(str(subscription_id))
            members = InboxTransport().deliver(event=event, subscriptions_by_member=by_member)
            subscription_ids = [subscription_id for subscription_id, _ in matches]
            member_ids = sorted(by_member)
            first = _create_deliveries(event, subscription_ids, lease=lease)
        if first:
            transaction.on_commit(lambda: pumps.pumps_queue(deliveries=first, adopt=(event_id, lease)))
    with transaction.atomic():
        event = _undispatched(event_id)
        if event is None:  # a concurrent run finished it
            return FanOut(event_id=event_id, members=members, deliveries=first, lease=lease if first else None)
        rest = _create_deliveries(event, subscription_ids, lease=None) if subscription_ids else 0
        if member_ids:
            _personal_emails(event, member_ids)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
        if rest or (not first and Delivery.objects.filter(event=event).exists()):
            # The first pump, if any, takes its share of these too once it has sent what it adopted.
            transaction.on_commit(lambda: pumps.pumps_queue(deliveries=max(rest, 1), running=int(bool(first))))
    return FanOut(event_id=event_id, members=members, deliveries=first + rest, lease=lease if first else None)


def _personal_emails(event: Event, member_ids: list[int]) -> None:
    """The immediate e-mails to the people of the matched members (by their preferences). A failure
    here is logged and never holds up the event's other deliveries."""
    from exchange.services.mail import event_emails_write

    try:
        with transaction.atomic():
            event_emails_write(event=event, member_ids=member_ids)
    except Exception:
        logger.exception("Writing the personal e-mails of event %s failed", event.pk)


def _undispatched(event_id: uuid.UUID) -> Event | None:
    """The event, locked, unless it is gone or already dispatched."""
    event = Event.objects.select_for_update(of=("self",)).filter(pk=event_id).first()
    return None if event is None or event.dispatched_at is not None else event


def _create_deliveries(event: Event, subscription_ids: list[uuid.UUID], *, lease: uuid.UUID | None) -> int:
    """With a lease: the first DELIVERY_MAX_IN_FLIGHT webhook deliveries, leased to it. Without: all
    the event's webhook and e-mail deliveries not yet written. Returns how many were created."""
    now = timezone.now()
    due = first_attempt_at(now)
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_HOLD_SECONDS) if lease else None
    limit = settings.DELIVERY_MAX_IN_FLIGHT if lease else None
    store = delivery_store()
    created = 0
    for chunk in _chunks(subscription_ids):
        if limit is not None and created >= limit:
            break
        created += store.webhook_deliveries_write(WebhookRows(
            event_id=event.pk, subscription_ids=tuple(chunk), due=due, now=now, lease=lease, lease_until=lease_until,
            limit=None if limit is None else limit - created,
        ))
    if lease is None:
        created += _email_deliveries(event, subscription_ids, due=due, now=now)
    return created


def _email_deliveries(event: Event, subscription_ids: list[uuid.UUID], *, due: datetime, now: datetime) -> int:
    """The event's e-mail deliveries not yet written, one per (member, address) of the matching
    subscriptions' recipients. Returns how many were created."""
    emails: set[tuple[int, str]] = set()
    for chunk in _chunks(subscription_ids):
        for member_id, recipients in Subscription.objects.filter(pk__in=chunk).exclude(
            email_recipients=[]
        ).values_list("member_id", "email_recipients"):
            emails.update((member_id, address) for address in recipients or [])
    if not emails:
        return 0
    written = Delivery.objects.filter(event=event, channel=Channel.EMAIL)
    # bulk_create cannot tell which rows a conflict skipped (SQLite), so count what is there.
    before = written.count()
    Delivery.objects.bulk_create(
        [
            Delivery(event=event, member_id=member_id, channel=Channel.EMAIL, email=address,
                     next_attempt_at=due, created_at=now)
            for member_id, address in sorted(emails)
        ],
        ignore_conflicts=True, batch_size=CHUNK,
    )
    return written.count() - before


def outbox_sweep() -> dict[str, int]:
    """Pick up what a crash, a lost message or a broker outage left behind.

    Events still undispatched after one sweep interval are fanned out here and now; if any
    delivery is due and nobody holds it (never queued, or its worker died and the lease ran
    out), pumps are queued; endpoints failing for too long are disabled.
    """
    from exchange.services.endpoints import endpoints_disable_failing

    now = timezone.now()
    grace = timedelta(seconds=settings.OUTBOX_SWEEP_INTERVAL)
    stale = list(
        Event.objects.filter(dispatched_at__isnull=True, created_at__lte=now - grace)
        .order_by("created_at")
        .values_list("pk", flat=True)[:SWEEP_EVENTS]
    )
    dispatched = 0
    for event_id in stale:
        try:
            if event_fan_out(event_id=event_id) is not None:
                dispatched += 1
        except Exception:  # one broken event must not stop the sweep of the others
            logger.exception("Fan-out of event %s failed; the next sweep retries it", event_id)
    disabled = endpoints_disable_failing(now=now)
    due = pumps.pumps_queue_for_next_due()
    return {"events": dispatched, "endpoints_disabled": disabled, "pump": int(due)}
