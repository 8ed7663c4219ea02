"""Recording a delivery pump's results beside its claiming and sending: one recording thread per
process, with a database connection of its own (exchange.services.deliveries.pump)."""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

from django.db import connection

from exchange.services.deliveries.claims import LeasedDelivery
from exchange.transports.base import Outcome

logger = logging.getLogger(__name__)


class RecordingThread:
    """The thread that records result batches, one per worker process, on a database connection of its
    own, so that claiming and sending never wait for recording. Started by the first pump that needs
    it and kept. In a worker, whose processes keep their connections between tasks (config/celery.py),
    it keeps its own between pumps: a pump does not open a new PostgreSQL backend for its records; once
    its queue is empty it closes the connection only if it broke or outlived DATABASE_CONN_MAX_AGE, as
    at the end of a web request. Elsewhere (a pump run in-process) it closes it once idle."""

    _lock = threading.Lock()
    _current: RecordingThread | None = None

    @classmethod
    def of_this_process(cls) -> RecordingThread:
        with cls._lock:
            current = cls._current
            if current is None or current.pid != os.getpid() or not current.thread.is_alive():
                current = cls._current = cls()
                current.thread.start()
            return current

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.batches: queue.SimpleQueue[tuple[Recorder, list[tuple[LeasedDelivery, Outcome]]]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="delivery-recorder", daemon=True)

    def _run(self) -> None:
        while True:
            recorder, batch = self.batches.get()
            try:
                recorder.record(batch)
            except Exception:
                logger.exception("Recording %d delivery results failed; their leases will expire", len(batch))
            finally:
                try:
                    if self.batches.empty():
                        if recorder.keep_connection:
                            connection.close_if_unusable_or_obsolete()
                        else:
                            connection.close()
                except Exception:  # a connection that fails to close is dropped by the next batch's health check
                    logger.warning("Closing the recording connection failed", exc_info=True)
                finally:
                    recorder.recorded()  # the pump never waits on a batch the thread is done with


class Recorder:
    """One pump's batches, recorded in the process's recording thread. A batch that fails to record
    is logged; its deliveries keep their leases, which expire, and are sent again (at least once)."""

    def __init__(self, record: Callable[[list[tuple[LeasedDelivery, Outcome]]], None], *, keep_connection: bool) -> None:
        self.record = record
        self.keep_connection = keep_connection
        self.pending = 0
        self.changed = threading.Condition()
        self.thread: RecordingThread | None = None

    def start(self) -> None:
        self.thread = RecordingThread.of_this_process()

    def submit(self, batch: list[tuple[LeasedDelivery, Outcome]]) -> None:
        assert self.thread is not None, "start() first"
        with self.changed:
            self.pending += 1
        self.thread.batches.put((self, batch))

    def recorded(self) -> None:
        with self.changed:
            self.pending -= 1
            self.changed.notify_all()

    def idle(self) -> bool:
        return self.pending == 0

    def close(self, *, timeout: float) -> None:
        """Wait until this pump's batches are recorded (or `timeout` seconds)."""
        with self.changed:
            self.changed.wait_for(self.idle, timeout=timeout)
