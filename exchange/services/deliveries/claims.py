"""Claiming due deliveries: leases taken atomically (by the delivery store), at most a few per
endpoint, and the deliveries fan-out wrote already leased to a pump.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from exchange.choices import OPEN_DELIVERY_STATES
from exchange.models import Delivery
from exchange.services.deliveries.leases import EMAIL_KEY, ClaimQuery, LeasedDelivery, due, unleased_q
from exchange.services.deliveries.store import delivery_store

__all__ = [
    "CLAIM_BATCH", "EMAIL_KEY", "LeasedDelivery", "deliveries_adopt", "deliveries_claim", "deliveries_release",
    "deliveries_release_adoption", "due", "next_due_in",
]

CLAIM_BATCH = 200


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
    return delivery_store().claim(ClaimQuery(
        token=token, now=now, until=now + timedelta(seconds=settings.DELIVERY_LEASE_HOLD_SECONDS), limit=limit,
        per_target=per_target, excluded=tuple(uuid.UUID(key) for key in exclude_endpoints), exclude_email=exclude_email,
    ))


def deliveries_adopt(*, token: uuid.UUID, event_id: uuid.UUID) -> list[LeasedDelivery]:
    """The deliveries of an event that fan-out wrote leased to `token`, still leased and open."""
    return delivery_store().adopt(token=token, event_id=event_id, now=timezone.now())


def deliveries_release_adoption(*, event_id: uuid.UUID, lease: uuid.UUID) -> None:
    """Free deliveries written leased to a pump that could not be queued, for any pump to claim."""
    Delivery.objects.filter(event_id=event_id, lease_token=lease).update(lease_until=None, lease_token=None)


def deliveries_release(*, token: uuid.UUID, ids: list[uuid.UUID]) -> None:
    """Give back leased deliveries the pump will not send now, for any pump to claim."""
    if ids:
        Delivery.objects.filter(id__in=ids, lease_token=token).update(lease_until=None, lease_token=None)


def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the earliest unleased open delivery is due (0 if one is due now), or None."""
    now = now or timezone.now()
    earliest: datetime | None = (
        Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES).filter(unleased_q(now))
        .aggregate(at=Min("next_attempt_at"))["at"]
    )
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())
