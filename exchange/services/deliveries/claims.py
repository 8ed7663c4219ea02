"""Claiming due deliveries: leases taken atomically, at most a few per endpoint, and the
deliveries fan-out wrote already leased to a pump.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from exchange.choices import OPEN_DELIVERY_STATES, Channel, DeliveryState, MemberStatus
from exchange.models import Delivery, FeedEntry, Member, WebhookEndpoint

CLAIM_BATCH = 200
CLAIM_WINDOW = 10  # a claim of n ranks at most the first 10 n due deliveries
EMAIL_KEY = "email"


@dataclass(slots=True)
class LeasedDelivery:
    """A leased delivery with what sending it needs: its target as the claim read it."""

    id: uuid.UUID
    event_id: uuid.UUID | None  # None: an e-mail to one person (exchange.models.PersonalEmail)
    member_id: int
    channel: str
    endpoint_id: uuid.UUID | None
    email: str
    attempt_count: int
    schedule_position: int
    _: KW_ONLY
    member_active: bool = True
    url: str = ""
    endpoint_enabled: bool = False
    secrets: tuple[str, ...] = ()  # the current secret, and the previous one during its overlap
    sequence: int | None = None  # the event's number in the member's feed: the payload's `data.sequence`
    # What its concurrency is counted by: its endpoint, or e-mail. Computed once: the pump reads it
    # several times per send.
    concurrency_key: str = field(init=False)

    def __post_init__(self) -> None:
        self.concurrency_key = str(self.endpoint_id) if self.endpoint_id else EMAIL_KEY


_CLAIM_FIELDS = (
    "id", "event_id", "member_id", "channel", "endpoint_id", "email", "attempt_count", "schedule_position",
)
# The SQL spells the open states as the partial due index's condition does, so the planner uses it.
assert {DeliveryState.PENDING, DeliveryState.RETRYING} == set(OPEN_DELIVERY_STATES)

# What sending a leased delivery `c` needs: its row, whether its member is active, its endpoint's URL
# and secrets (the previous one during its overlap), and the event's number in the member's feed.
_TARGETS_SQL = """
SELECT c.id, c.event_id, c.member_id, c.channel, c.endpoint_id, c.email, c.attempt_count,
       c.schedule_position, m.status = %(active)s, COALESCE(e.url, ''), COALESCE(e.enabled, false),
       COALESCE(e.secret, ''),
       CASE WHEN e.previous_secret <> '' AND e.previous_secret_expires_at > %(now)s
            THEN e.previous_secret ELSE '' END,
       f.sequence
FROM {source} c JOIN exchange_member m ON m.id = c.member_id
LEFT JOIN exchange_webhookendpoint e ON e.id = c.endpoint_id
LEFT JOIN exchange_feedentry f ON f.event_id = c.event_id AND f.member_id = c.member_id
"""

# PostgreSQL: one statement ranks the first due rows per endpoint, locks those still free (SKIP
# LOCKED), leases them and returns them with their endpoint's URL and secrets and whether their
# member is active — no id list travels to the database and back.
_CLAIM_SQL = """
WITH due AS (
    SELECT id, channel, endpoint_id, next_attempt_at FROM exchange_delivery
    WHERE state IN ('pending', 'retrying') AND next_attempt_at <= %(now)s
      AND (lease_until IS NULL OR lease_until < %(now)s) {exclude}
    ORDER BY next_attempt_at LIMIT %(window)s
), ranked AS (
    SELECT id, next_attempt_at,
           row_number() OVER (PARTITION BY channel, endpoint_id ORDER BY next_attempt_at) AS rank
    FROM due
), picked AS (
    -- The locking scan is a primary-key lookup of the candidates (three claims' worth, so that
    -- concurrent claims each still find free rows), whatever the planner believes about a table
    -- fan-out has just filled: its conditions, checked again on each locked row, are wrapped in
    -- IS TRUE so that no other index matches them — given the bare conditions it re-read the due
    -- index, dead entries included, once per claim or even once per candidate (15-40 ms a claim at
    -- 5,000 due). The limit applies after SKIP LOCKED, so that two pumps claiming at once take the
    -- next free rows, not nothing.
    SELECT d.id FROM exchange_delivery d
    WHERE d.id = ANY(ARRAY(
        SELECT id FROM ranked WHERE rank <= %(per_target)s ORDER BY next_attempt_at LIMIT %(candidates)s
    ))
      AND (d.state IN ('pending', 'retrying') AND d.next_attempt_at <= %(now)s
           AND (d.lease_until IS NULL OR d.lease_until < %(now)s)) IS TRUE
    ORDER BY d.next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE exchange_delivery d SET lease_until = %(until)s, lease_token = %(token)s
    FROM picked WHERE d.id = picked.id
    RETURNING d.id, d.event_id, d.member_id, d.channel, d.endpoint_id, d.email, d.attempt_count,
              d.schedule_position, d.next_attempt_at
)
""" + _TARGETS_SQL.replace("{source}", "claimed") + "ORDER BY c.next_attempt_at\n"  # noqa: S608
# PostgreSQL: the deliveries fan-out wrote already leased to a pump, read (not updated) by that pump.
_ADOPT_SQL = _TARGETS_SQL.replace("{source}", "exchange_delivery") + """
WHERE c.event_id = %(event)s AND c.lease_token = %(token)s AND c.lease_until > %(now)s
  AND c.state IN ('pending', 'retrying')
ORDER BY c.next_attempt_at
"""


def due(now: datetime) -> Any:
    """Open deliveries due by `now` that nobody holds (no lease, or an expired one)."""
    return Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def uuid_list(values: Iterable[Any]) -> str:
    """Ids as one text parameter (`string_to_array(%s, ',')::uuid[]`): binding a long list of
    UUIDs one by one costs the client more CPU than the whole statement costs the server."""
    return ",".join(str(value) for value in values)


def deliveries_claim(
    *,
    token: uuid.UUID,
    limit: int,
    exclude_endpoints: Iterable[str] = (),
    exclude_email: bool = False,
    per_target: int = 8,
) -> list[LeasedDelivery]:
    """Atomically lease up to `limit` due deliveries, oldest due first, at most `per_target` of any
    one endpoint (and of e-mail), so that one endpoint's backlog never fills a claim.

    The candidates are ranked per endpoint among the first due rows (a bounded window, read
    through the due index); the candidates still free are then locked with SKIP LOCKED, where the
    database has it, and leased.
    """
    now = timezone.now()
    excluded = list(exclude_endpoints)
    until = now + timedelta(seconds=settings.DELIVERY_LEASE_HOLD_SECONDS)
    if connection.vendor == "postgresql":
        exclude = ""
        if excluded:
            exclude += "AND (endpoint_id IS NULL OR NOT endpoint_id = ANY(string_to_array(%(excluded)s, ',')::uuid[]))"
        if exclude_email:
            exclude += f" AND channel <> '{Channel.EMAIL}'"
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL.replace("{exclude}", exclude), {
                "now": now, "window": limit * CLAIM_WINDOW, "per_target": per_target, "limit": limit,
                "candidates": 3 * limit,
                "until": until, "token": token, "excluded": uuid_list(excluded), "active": MemberStatus.ACTIVE,
            })
            return _claimed(cursor.fetchall())
    return _claim_portable(now=now, until=until, token=token, limit=limit, excluded=excluded,
                           exclude_email=exclude_email, per_target=per_target)


def _claimed(rows: Iterable[tuple[Any, ...]]) -> list[LeasedDelivery]:
    """LeasedDelivery deliveries from rows shaped as _TARGETS_SQL selects them."""
    return [
        LeasedDelivery(*row[:8], member_active=row[8], url=row[9], endpoint_enabled=row[10],
                       secrets=tuple(secret for secret in row[11:13] if secret), sequence=row[13])
        for row in rows
    ]


def deliveries_adopt(*, token: uuid.UUID, event_id: uuid.UUID) -> list[LeasedDelivery]:
    """The deliveries of an event that fan-out wrote leased to `token`, still leased and open."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ADOPT_SQL, {"event": event_id, "token": token, "now": now, "active": MemberStatus.ACTIVE})
            return _claimed(cursor.fetchall())
    rows = list(
        Delivery.objects.filter(
            event_id=event_id, lease_token=token, lease_until__gt=now, state__in=OPEN_DELIVERY_STATES
        ).order_by("next_attempt_at").values_list(*_CLAIM_FIELDS)
    )
    return _targets_portable(rows, now)


def deliveries_release_adoption(*, event_id: uuid.UUID, lease: uuid.UUID) -> None:
    """Free deliveries written leased to a pump that could not be queued, for any pump to claim."""
    Delivery.objects.filter(event_id=event_id, lease_token=lease).update(lease_until=None, lease_token=None)


def _claim_portable(
    *, now: datetime, until: datetime, token: uuid.UUID, limit: int, excluded: list[str], exclude_email: bool,
    per_target: int,
) -> list[LeasedDelivery]:
    """The same claim through the ORM, for databases other than PostgreSQL (SQLite in development)."""
    pool = due(now)
    if excluded:
        pool = pool.exclude(endpoint_id__in=excluded)
    if exclude_email:
        pool = pool.exclude(channel=Channel.EMAIL)
    window = pool.order_by("next_attempt_at").values("pk")[: limit * CLAIM_WINDOW]
    candidates = list(
        Delivery.objects.filter(pk__in=window)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("channel"), F("endpoint_id")], order_by=F("next_attempt_at").asc())
        )
        .filter(rank__lte=per_target)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    with transaction.atomic():
        qs = due(now).filter(pk__in=candidates)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.order_by("next_attempt_at").values_list(*_CLAIM_FIELDS))
        if not rows:
            return []
        Delivery.objects.filter(id__in=[row[0] for row in rows]).update(lease_until=until, lease_token=token)
    return _targets_portable(rows, now)


def _targets_portable(rows: list[tuple[Any, ...]], now: datetime) -> list[LeasedDelivery]:
    """_TARGETS_SQL through the ORM: leased rows (_CLAIM_FIELDS) with their members and endpoints."""
    endpoints = WebhookEndpoint.objects.in_bulk([row[4] for row in rows if row[4]])
    active = set(
        Member.objects.filter(pk__in={row[2] for row in rows}, status=MemberStatus.ACTIVE).values_list("pk", flat=True)
    )
    numbers = {
        (event_id, member_id): sequence
        for event_id, member_id, sequence in FeedEntry.objects.filter(
            event_id__in={row[1] for row in rows}, member_id__in={row[2] for row in rows}
        ).values_list("event_id", "member_id", "sequence")
    }
    claimed = []
    for row in rows:
        endpoint = endpoints.get(row[4]) if row[4] else None
        secrets: tuple[str, ...] = ()
        if endpoint is not None:
            secrets = (endpoint.secret,)
            if (
                endpoint.previous_secret
                and endpoint.previous_secret_expires_at
                and endpoint.previous_secret_expires_at > now
            ):
                secrets += (endpoint.previous_secret,)
        claimed.append(LeasedDelivery(
            *row, member_active=row[2] in active, url=endpoint.url if endpoint else "",
            endpoint_enabled=bool(endpoint and endpoint.enabled), secrets=secrets,
            sequence=numbers.get((row[1], row[2])),
        ))
    return claimed


def deliveries_release(*, token: uuid.UUID, ids: list[uuid.UUID]) -> None:
    if ids:
        Delivery.objects.filter(id__in=ids, lease_token=token).update(lease_until=None, lease_token=None)



def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the earliest unleased open delivery is due (0 if one is due now), or None."""
    now = now or timezone.now()
    earliest = (
        Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .aggregate(at=Min("next_attempt_at"))["at"]
    )
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())
