"""What the delivery store reads and writes: a leased delivery, a claim, an attempt to record; and
the one rule of "open and nobody holds it" (no lease, or an expired one)."""

from __future__ import annotations

import uuid
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from exchange.choices import OPEN_DELIVERY_STATES
from exchange.models import Delivery

CLAIM_WINDOW = 10  # a claim of n ranks at most the first 10 n due deliveries
CLAIM_CANDIDATES = 3  # ... and tries to lock the first 3 n of those ranked (concurrent claims skip locked ones)
EMAIL_KEY = "email"


def unleased_q(now: datetime) -> Q:
    """Nobody holds the delivery: it has no lease, or its lease ran out before `now`."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def due(now: datetime) -> QuerySet[Delivery]:
    """Open deliveries due by `now` that nobody holds."""
    return Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now).filter(unleased_q(now))


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


# A delivery's row as a claim reads it, in LeasedDelivery's positional order.
LeasedRow = tuple[uuid.UUID, uuid.UUID | None, int, str, uuid.UUID | None, str, int, int]
LEASED_FIELDS = (
    "id", "event_id", "member_id", "channel", "endpoint_id", "email", "attempt_count", "schedule_position",
)


@dataclass(frozen=True, slots=True)
class ClaimQuery:
    """One claim: lease up to `limit` due deliveries to `token` until `until`, oldest due first, at most
    `per_target` of one endpoint (or of e-mail), none of the excluded endpoints (or e-mail)."""

    token: uuid.UUID
    now: datetime
    until: datetime
    limit: int
    per_target: int
    excluded: tuple[uuid.UUID, ...] = ()
    exclude_email: bool = False

    @property
    def window(self) -> int:
        """How many of the first due deliveries are ranked per endpoint."""
        return self.limit * CLAIM_WINDOW

    @property
    def candidates(self) -> int:
        """How many of the ranked deliveries the claim tries to lock (SKIP LOCKED) before taking `limit`."""
        return self.limit * CLAIM_CANDIDATES


@dataclass(frozen=True, slots=True)
class AttemptRow:
    """One attempt to record and the delivery's state after it."""

    id: uuid.UUID  # the delivery's
    at: datetime
    status: int | None
    duration: int
    error: str
    body: str
    state: str
    next_at: datetime | None
    position: int
    count: int


@dataclass(frozen=True, slots=True)
class WebhookRows:
    """The webhook deliveries of one event to write for some of its matching subscriptions: due at `due`;
    with a lease, the first `limit` (by endpoint id) written leased to it until `lease_until`."""

    event_id: uuid.UUID
    subscription_ids: tuple[uuid.UUID, ...]
    due: datetime
    now: datetime
    lease: uuid.UUID | None = None
    lease_until: datetime | None = None
    limit: int | None = None
