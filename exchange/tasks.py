"""Celery tasks of the network. Tasks take ids, are idempotent and return quietly when work is gone.

Queuing never fails the caller (exchange.queueing.QueuedTask): while the broker is unreachable,
publishing still commits its event and the outbox sweeper (Celery beat, every
OUTBOX_SWEEP_INTERVAL) picks it up later.
"""

from __future__ import annotations

import logging

from celery import shared_task

from exchange.queueing import QueuedTask

logger = logging.getLogger(__name__)


@shared_task(name="exchange.event_dispatch", base=QueuedTask, ignore_result=True, acks_late=True)
def event_dispatch(event_id: str) -> None:
    from exchange.services.fanout import event_fan_out

    event_fan_out(event_id=event_id)


@shared_task(
    name="exchange.deliveries_pump", base=QueuedTask, ignore_result=True, acks_late=True, soft_time_limit=150, time_limit=180
)
def deliveries_pump(event_id: str | None = None, lease: str | None = None) -> dict[str, int]:
    """Send due deliveries until none is left or the time budget is spent; then queue the next run.

    With `event_id` and `lease`, first the deliveries fan-out wrote leased to `lease`."""
    from exchange.services.deliveries import DeliveryPump, pumps

    stats = DeliveryPump(
        adopt=(event_id, lease) if event_id and lease else None, in_worker=not deliveries_pump.request.is_eager
    ).run()
    pumps.pumps_queue_for_next_due()
    return {"sent": stats.sent, "succeeded": stats.succeeded, "failed": stats.failed}


@shared_task(name="exchange.outbox_sweep", base=QueuedTask, ignore_result=True, soft_time_limit=120, time_limit=150)
def outbox_sweep() -> dict[str, int]:
    from exchange.services.fanout import outbox_sweep as sweep

    return sweep()


@shared_task(name="exchange.audit_checkpoint", ignore_result=True, soft_time_limit=60, time_limit=90)
def audit_checkpoint() -> int | None:
    """Sign the audit head with the network's key and send it as an `audit.checkpoint` event (SPEC §8)."""
    from exchange.services.checkpoints import audit_checkpoint_create

    checkpoint = audit_checkpoint_create()
    return checkpoint.entry_id if checkpoint is not None else None


@shared_task(name="exchange.retention_sweep", ignore_result=True, soft_time_limit=240, time_limit=300)
def retention_sweep() -> dict[str, int]:
    """Periodic: old events and their deliveries, idempotency records, expired sessions (SPEC §9)."""
    from dataclasses import asdict

    from exchange.services.retention import retention_sweep as sweep

    return asdict(sweep(max_seconds=180))


@shared_task(name="exchange.digests_send", base=QueuedTask, ignore_result=True, soft_time_limit=240, time_limit=300)
def digests_send() -> dict[str, int]:
    """Periodic: every daily digest that is due and every hour's "and N more" (what `send_digests` runs)."""
    from dataclasses import asdict

    from exchange.services.digests import digests_send as send

    return asdict(send())
