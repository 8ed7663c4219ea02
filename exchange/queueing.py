"""Queuing that never fails the caller: the one broker-outage guard.

Every task of ours is a `QueuedTask`: Celery's `DjangoTask` (so `task.delay_on_commit(...)` queues
only once the surrounding transaction commits) whose queuing, when the broker is unreachable, logs
and returns None instead of raising. Nothing is lost: each kind of work has a sweeper that finds
what was never queued (the outbox sweep for events and deliveries, the overdue sweep, the periodic
signal evaluation).
"""

from __future__ import annotations

import logging
from typing import Any

from celery.contrib.django.task import DjangoTask

logger = logging.getLogger(__name__)


class QueuedTask(DjangoTask):
    def apply_async(self, *args: Any, **options: Any) -> Any:
        if self.app.conf.task_always_eager:  # run in-process: let its errors show
            return super().apply_async(*args, **options)
        options.setdefault("retry", False)  # fail fast while the broker is down; the sweepers retry
        try:
            return super().apply_async(*args, **options)
        except Exception:
            logger.warning("Could not queue %s (broker unreachable?); its sweeper will pick the work up",
                           self.name, exc_info=True)
            return None
