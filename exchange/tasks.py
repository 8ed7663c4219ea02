"""Celery tasks of the network. Tasks take ids, are idempotent and return quietly when work is gone."""

from __future__ import annotations

import logging
import uuid

from celery import shared_task

logger = logging.getLogger(__name__)


def event_dispatch_safely(event_id: uuid.UUID | str) -> None:
    """Queue fan-out of one event; a broker outage must never fail the publishing request.

    Whatever could not be queued is picked up by the outbox sweeper.
    """
    try:
        event_dispatch.apply_async(args=(str(event_id),), retry=False)
    except Exception:  # the broker is down: the sweeper will find the event undispatched
        logger.warning("Could not queue dispatch of event %s; the outbox sweeper will retry", event_id)


@shared_task(name="exchange.event_dispatch", ignore_result=True, acks_late=True)
def event_dispatch(event_id: str) -> None:
    from exchange.services.fanout import event_fan_out

    event_fan_out(event_id=event_id)
