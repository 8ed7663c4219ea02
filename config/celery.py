"""The Celery app `config` (`celery -A config worker`, `celery -A config beat`).

Queues and routes live here and nowhere else (SPEC §9). Three named queues:

- `fanout`: turning an event into delivery rows (`exchange.event_dispatch`);
- `sending`: webhook and e-mail sending (`exchange.deliveries_pump`, reminder e-mails);
- `default`: everything else — the outbox sweep, reminders and signal evaluation, retention,
  audit checkpoints — so that a delivery backlog never delays them.

A plain `celery -A config worker` consumes all three; `-Q sending` (or `-Q fanout,default`) runs
a worker for some of them only (docs/operations.md). The periodic schedule is
`CELERY_BEAT_SCHEDULE` in config/settings.py.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

QUEUE_FANOUT = "fanout"
QUEUE_SENDING = "sending"
QUEUE_DEFAULT = "default"

TASK_ROUTES: dict[str, dict[str, str]] = {
    "exchange.event_dispatch": {"queue": QUEUE_FANOUT},
    "exchange.deliveries_pump": {"queue": QUEUE_SENDING},
    "exchange.digests_send": {"queue": QUEUE_DEFAULT},
}

def _survive_redis_loss_with_unacked_tasks() -> None:
    """Keep a worker alive when Redis goes away while it runs a late-acknowledged task.

    kombu 5.5-5.7 closes the channel after the transport has dropped its client, and restoring the
    unacknowledged messages then fails with AttributeError ('NoneType' object has no attribute
    'hostname'), which Celery treats as unrecoverable: the whole worker exits. Raising the
    transport's own connection error instead lets kombu ignore it as it ignores every other
    connection error on close; the messages stay in Redis' unacked set (restored after the
    visibility timeout) and the outbox sweep re-dispatches from the database anyway.
    tests/integration/test_operations.py restarts Redis under a busy worker.
    """
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    channel: Any = kombu_redis.Channel
    original = channel._connparams
    if getattr(original, "_sax_patched", False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is closed")
        return original(self, asynchronous=asynchronous)

    _connparams._sax_patched = True  # type: ignore[attr-defined]
    channel._connparams = _connparams


_survive_redis_loss_with_unacked_tasks()

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = QUEUE_DEFAULT
app.conf.task_queues = [Queue(QUEUE_FANOUT), Queue(QUEUE_SENDING), Queue(QUEUE_DEFAULT)]
app.conf.task_routes = TASK_ROUTES
# The worker logs through Django's LOGGING (text or JSON, with request ids), not its own format.
app.conf.worker_hijack_root_logger = False
app.autodiscover_tasks()

# Periodic tasks whose runs /health/ready's `beat` check watches.
HEARTBEAT_TASKS = frozenset({"exchange.outbox_sweep"})


@signals.worker_process_init.connect
def _freeze_the_loaded_heap(**kwargs: Any) -> None:
    """Collections skip what start-up loaded (config/heap.py); the tasks' services are loaded first."""
    import exchange.services.deliveries  # imported lazily by the tasks
    import exchange.services.fanout  # noqa: F401
    from config.heap import freeze_loaded_heap

    freeze_loaded_heap()


@signals.worker_init.connect
def _keep_database_connections(**kwargs: Any) -> None:
    """Tasks reuse their process's database connection, as web requests do (DATABASE_CONN_MAX_AGE,
    checked before first use): Celery's Django fix-up closes every connection around each task unless
    CELERY_DB_REUSE_MAX is set (config/settings.py); instead, a connection that broke or outlived its
    age is closed before the next task, as Django does before each request."""
    signals.task_prerun.connect(_drop_broken_connections, weak=False)


def _drop_broken_connections(task: Any = None, **kwargs: Any) -> None:
    """Before each task a worker runs, as before each web request: close a connection that broke (the
    database restarted, a previous task's error) or outlived DATABASE_CONN_MAX_AGE; the task opens a new one."""
    if getattr(getattr(task, "request", None), "is_eager", False):
        return  # run in the caller's process (tests), perhaps inside its transaction
    from django.db import close_old_connections

    close_old_connections()


@signals.before_task_publish.connect
def _add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    from config.logs import task_publish_add_request_id

    task_publish_add_request_id(headers=headers)


@signals.task_prerun.connect
def _set_request_id(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    from config.logs import task_prerun_set_request_id

    task_prerun_set_request_id(task_id=task_id, task=task)


@signals.task_postrun.connect
def _after_task(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    from config.logs import task_postrun_clear_request_id

    task_postrun_clear_request_id(task_id=task_id)
    name = getattr(task, "name", "")
    if name in HEARTBEAT_TASKS and state == "SUCCESS":
        from config.heartbeats import heartbeat_record

        try:
            heartbeat_record(name)
        except Exception:  # the database is down: readiness says so through its own check
            import logging

            logging.getLogger(__name__).warning("Could not record the heartbeat of %s", name)


@signals.task_success.connect
def _task_succeeded(sender: Any = None, **kwargs: Any) -> None:
    from config.metrics import task_outcome_record

    task_outcome_record(getattr(sender, "name", "unknown"), "success")


@signals.task_failure.connect
def _task_failed(sender: Any = None, **kwargs: Any) -> None:
    from config.metrics import task_outcome_record

    task_outcome_record(getattr(sender, "name", "unknown"), "failure")


@signals.task_retry.connect
def _task_retried(sender: Any = None, **kwargs: Any) -> None:
    from config.metrics import task_outcome_record

    task_outcome_record(getattr(sender, "name", "unknown"), "retry")
