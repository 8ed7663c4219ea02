"""Sending deliveries: claim due rows, send them concurrently, record every attempt.

A `DeliveryPump` runs inside one Celery task. Its thread talks to the database only: it claims
due deliveries atomically (`SELECT ... FOR UPDATE SKIP LOCKED` where the database has it), puts a
lease on them, prepares the messages and hands them to an asyncio event loop in a second thread,
where the transports send many at once, at most WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT per
endpoint. Results come back through a queue and are recorded in bulk: attempts, state, and the
next attempt from WEBHOOK_RETRY_SCHEDULE with jitter — kept in the database, so that a long wait
never depends on a message in the broker. A pump that dies leaves leases that expire; the outbox
sweeper then queues a new pump.
"""

from exchange.services.deliveries import pumps
from exchange.services.deliveries.actions import deliveries_recover, delivery_get, delivery_redeliver
from exchange.services.deliveries.claims import (
    CLAIM_BATCH,
    LeasedDelivery,
    deliveries_adopt,
    deliveries_claim,
    deliveries_release,
    deliveries_release_adoption,
    next_due_in,
)
from exchange.services.deliveries.pump import DeliveryPump, PumpStats
from exchange.services.deliveries.recording import deliveries_record
from exchange.services.deliveries.rendering import RenderedEvent, email_content, webhook_body
from exchange.services.deliveries.schedule import first_attempt_at, retry_delay

__all__ = [
    "CLAIM_BATCH",
    "DeliveryPump",
    "LeasedDelivery",
    "PumpStats",
    "RenderedEvent",
    "deliveries_adopt",
    "deliveries_claim",
    "deliveries_record",
    "deliveries_recover",
    "deliveries_release",
    "deliveries_release_adoption",
    "delivery_get",
    "delivery_redeliver",
    "email_content",
    "first_attempt_at",
    "next_due_in",
    "pumps",
    "retry_delay",
    "webhook_body",
]
