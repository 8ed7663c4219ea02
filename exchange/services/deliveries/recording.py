"""Recording attempts: the attempt log and each delivery's next state, a batch at a time, then the
endpoints' failing spells (both by the delivery store)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from exchange.choices import DeliveryState
from exchange.services.deliveries.leases import AttemptRow, LeasedDelivery
from exchange.services.deliveries.schedule import retry_delay
from exchange.services.deliveries.store import delivery_store
from exchange.transports.base import Outcome, short_error
from exchange.transports.webhook import RESPONSE_BODY_LIMIT


@dataclass
class _Batch:
    """A batch's attempts, and what they say about their endpoints."""

    rows: list[AttemptRow] = field(default_factory=list)
    succeeded: set[uuid.UUID] = field(default_factory=set)
    failed: set[uuid.UUID] = field(default_factory=set)
    gone: list[uuid.UUID] = field(default_factory=list)

    def add(self, item: LeasedDelivery, outcome: Outcome, now: datetime) -> None:
        position = item.schedule_position + 1
        state, next_at = DeliveryState.SUCCEEDED, None
        if outcome.ok:
            if item.endpoint_id:
                self.succeeded.add(item.endpoint_id)
        else:
            if item.endpoint_id:
                self.failed.add(item.endpoint_id)
                if outcome.gone:
                    self.gone.append(item.endpoint_id)
            delay = None if outcome.permanent else retry_delay(position)
            if delay is not None and outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            state = DeliveryState.FAILED if delay is None else DeliveryState.RETRYING
            next_at = None if delay is None else now + timedelta(seconds=delay)
        self.rows.append(AttemptRow(
            id=item.id, at=outcome.started_at, status=outcome.status_code, duration=outcome.duration_ms,
            error=short_error(outcome.error), body=outcome.response_body[:RESPONSE_BODY_LIMIT],
            state=state, next_at=next_at, position=position, count=item.attempt_count + 1,
        ))


def deliveries_record(*, token: uuid.UUID, results: list[tuple[LeasedDelivery, Outcome]]) -> list[uuid.UUID]:
    """Record attempts and move each delivery on; returns the endpoints answering 410 Gone.

    A delivery whose lease was lost (another pump re-claimed it after expiry) keeps its
    attempt in the log, but its state is left to the pump that holds it now.
    """
    if not results:
        return []
    now = timezone.now()
    batch = _Batch()
    for item, outcome in results:
        batch.add(item, outcome, now)
    still_failing = batch.failed - batch.succeeded
    store = delivery_store()
    with transaction.atomic():
        store.attempts_record(token=token, rows=batch.rows, now=now)
        # Then the endpoints (deliveries before endpoints, as everywhere): a success ends an
        # endpoint's failing spell; a failure with no success in the batch may start one.
        store.failing_spells_update(ended=batch.succeeded, started=still_failing, now=now)
    return list(dict.fromkeys(batch.gone))
