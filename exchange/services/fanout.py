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
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from exchange.choices import Channel, DeliveryState, EventType
from exchange.models import Delivery, Event, Subscription, SubscriptionEndpoint
from exchange.services.deliveries import first_attempt_at, next_due_in
from exchange.services.subscriptions import subscriptions_matching
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


def _chunks(items: list[Any], size: int = CHUNK) -> list[list[Any]]:
    return [items[index:index + size] for index in range(0, len(items), size)]


def event_fan_out(*, event_id: str | uuid.UUID) -> FanOut | None:
    """Create the notifications and deliveries of one event, once. None if there is nothing to do."""
    try:
        event_id = uuid.UUID(str(event_id))
    except ValueError:
        return None
    with transaction.atomic():
        event = Event.objects.select_for_update(of=("self",)).filter(pk=event_id).first()
        if event is None or event.dispatched_at is not None:
            return None
        created = 0
        members = 0
        # The first webhook deliveries are written already leased to the pump queued below, which
        # reads them instead of claiming them: one statement less before the first request.
        lease = uuid.uuid4()
        if event.type != EventType.PING:  # a ping's one delivery is created with it
            matches = subscriptions_matching(event)
            by_member: dict[int, list[str]] = defaultdict(list)
            for subscription_id, member_id in matches:
                by_member[member_id].append(str(subscription_id))
            members = InboxTransport().deliver(event=event, subscriptions_by_member=by_member)
            created = _create_deliveries(event, [subscription_id for subscription_id, _ in matches], lease=lease)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
        pending = created or Delivery.objects.filter(event=event).exists()
        if pending:
            from exchange import tasks

            transaction.on_commit(
                lambda: tasks.deliveries_kick(deliveries=max(created, 1), adopt=(event.pk, lease) if created else None)
            )
    return FanOut(event_id=event.pk, members=members, deliveries=created, lease=lease if created else None)


# PostgreSQL: the webhook deliveries of an event written by the database in one statement, from the
# matching subscriptions' enabled endpoints (of the subscription's own member), unique per
# (event, endpoint) — no Python object per delivery. The first `lease_limit` are written leased.
_WEBHOOK_DELIVERIES_SQL = """
INSERT INTO exchange_delivery (id, event_id, member_id, channel, endpoint_id, email, state, attempt_count,
                               schedule_position, next_attempt_at, last_error, created_at, lease_until, lease_token)
SELECT gen_random_uuid(), %(event)s, targets.member_id, %(webhook)s, targets.endpoint_id, '', %(pending)s, 0, 0,
       %(due)s, '', %(now)s,
       CASE WHEN targets.rank <= %(lease_limit)s THEN %(lease_until)s::timestamptz END,
       CASE WHEN targets.rank <= %(lease_limit)s THEN %(lease)s::uuid END
FROM (
    SELECT endpoint_id, member_id, row_number() OVER (ORDER BY endpoint_id) AS rank
    FROM (
        SELECT DISTINCT e.id AS endpoint_id, e.member_id
        FROM exchange_subscription s
        JOIN exchange_subscriptionendpoint se ON se.subscription_id = s.id
        JOIN exchange_webhookendpoint e ON e.id = se.endpoint_id AND e.member_id = s.member_id
        WHERE s.id = ANY(string_to_array(%(subscriptions)s, ',')::uuid[]) AND e.enabled
    ) AS endpoints
) AS targets
ORDER BY targets.endpoint_id
ON CONFLICT DO NOTHING
"""


def _create_deliveries(event: Event, subscription_ids: list[uuid.UUID], *, lease: uuid.UUID) -> int:
    """Write the event's deliveries; the first DELIVERY_MAX_IN_FLIGHT webhook deliveries are leased
    to `lease` (the pump queued on commit adopts them). Returns how many were created."""
    now = timezone.now()
    due = first_attempt_at(now)
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_HOLD_SECONDS)
    lease_limit = settings.DELIVERY_MAX_IN_FLIGHT
    created = 0
    emails: set[tuple[int, str]] = set()
    endpoints: set[tuple[uuid.UUID, int]] = set()
    postgres = connection.vendor == "postgresql"
    for chunk in _chunks(subscription_ids):
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(_WEBHOOK_DELIVERIES_SQL, {
                    "event": event.pk, "webhook": Channel.WEBHOOK, "pending": DeliveryState.PENDING, "due": due,
                    "now": now, "subscriptions": ",".join(str(pk) for pk in chunk),
                    "lease": lease, "lease_until": lease_until, "lease_limit": lease_limit if not created else 0,
                })
                created += max(cursor.rowcount, 0)
        else:
            endpoints.update(
                SubscriptionEndpoint.objects.filter(
                    subscription_id__in=chunk,
                    endpoint__enabled=True,
                    endpoint__member_id=F("subscription__member_id"),
                ).values_list("endpoint_id", "endpoint__member_id")
            )
        for member_id, recipients in Subscription.objects.filter(pk__in=chunk).exclude(email_recipients=[]).values_list(
            "member_id", "email_recipients"
        ):
            emails.update((member_id, address) for address in recipients or [])
    rows = [
        Delivery(event=event, member_id=member_id, channel=Channel.WEBHOOK, endpoint_id=endpoint_id,
                 next_attempt_at=due, created_at=now,
                 **({"lease_token": lease, "lease_until": lease_until} if rank < lease_limit else {}))
        for rank, (endpoint_id, member_id) in enumerate(sorted(endpoints))
    ] + [
        Delivery(event=event, member_id=member_id, channel=Channel.EMAIL, email=address,
                 next_attempt_at=due, created_at=now)
        for member_id, address in sorted(emails)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=CHUNK)
    return created + len(rows)


def outbox_sweep() -> dict[str, int]:
    """Pick up what a crash, a lost message or a broker outage left behind.

    Events still undispatched after one sweep interval are fanned out here and now; if any
    delivery is due and nobody holds it (never queued, or its worker died and the lease ran
    out), pumps are queued; endpoints failing for too long are disabled.
    """
    from exchange import tasks
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
    due_in = next_due_in()
    if due_in is not None and due_in <= settings.OUTBOX_SWEEP_INTERVAL:
        tasks.deliveries_kick(deliveries=1, countdown=due_in or None)
    return {"events": dispatched, "endpoints_disabled": disabled, "pump": int(due_in is not None)}
