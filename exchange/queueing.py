"""Queuing that never fails the caller: the one broker-outage guard.

Every task of ours is a `QueuedTask`: Celery's `DjangoTask` (so `task.delay_on_commit(...)` queues
only once the surrounding transaction commits) whose queuing, when the broker is unreachable, logs
and returns None instead of raising. Nothing is lost: each kind of work has a sweeper that finds
what was never queued (the outbox sweep for events and deliveries, the overdue sweep, the periodic
signal evaluation).

Services queue work through `task_named(...)` (or `TasksOf(app)`), never by importing a tasks module.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from celery import current_app
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


def task_named(name: str) -> QueuedTask:
    """The registered task `name` (e.g. "exchange.event_dispatch"), for services to queue work with.

    Tasks call services, so a service never imports a tasks module: it finds the task in Celery's
    registry, loading every installed app's `tasks` module (Celery's autodiscovery) the first time.
    """
    app = current_app
    if name not in app.tasks:
        app.loader.import_default_modules()
    return cast(QueuedTask, app.tasks[name])


class TasksOf:
    """One app's registered tasks by their short names: `TasksOf("exchange").event_dispatch`."""

    def __init__(self, app_label: str) -> None:
        self.app_label = app_label

    def __getattr__(self, name: str) -> QueuedTask:
        if name.startswith("_"):
            raise AttributeError(name)
        return task_named(f"{self.app_label}.{name}")


exchange_tasks = TasksOf("exchange")
