"""The delivery pump's recording thread: one per process, kept between pumps; in a worker with its
database connection, as the worker keeps its own (config/celery.py); still recording after a batch failed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from exchange.services.deliveries.recorder import Recorder

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@pytest.fixture
def in_worker() -> Iterator[bool]:
    yield True
    # This process is the test run, not a worker: the recording thread's connection goes.
    _pump_records(lambda batch: connection.close(), in_worker=True)


def _pump_records(record: object, *, in_worker: bool) -> None:
    recorder = Recorder(record, keep_connection=in_worker)  # type: ignore[arg-type]
    recorder.start()
    recorder.submit([])
    recorder.close(timeout=60)
    assert recorder.idle()


def test_pumps_record_on_one_thread_and_one_connection_even_after_a_batch_failed(
    in_worker: bool, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[threading.Thread, int]] = []

    def fails(batch: object) -> None:
        raise RuntimeError("the database refused the batch")

    def records(batch: object) -> None:
        seen.append((threading.current_thread(), _backend_pid()))

    with caplog.at_level(logging.ERROR, logger="exchange.services.deliveries.recorder"):
        _pump_records(records, in_worker=in_worker)
        _pump_records(fails, in_worker=in_worker)
        _pump_records(records, in_worker=in_worker)

    assert "Recording 0 delivery results failed" in caplog.text
    assert len(seen) == 2
    (first_thread, first_backend), (second_thread, second_backend) = seen
    assert first_thread is second_thread, "each pump started a recording thread of its own"
    assert first_thread is not threading.current_thread()
    assert first_backend == second_backend, "each pump's records opened a new database session"


def test_a_pump_run_in_process_leaves_no_recording_connection_behind() -> None:
    backends: list[int] = []
    _pump_records(lambda batch: backends.append(_backend_pid()), in_worker=False)

    def still_there() -> bool:  # a backend leaves pg_stat_activity moments after its client hung up
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backends[0]])
            return bool(cursor.fetchone()[0])

    deadline = time.monotonic() + 5
    while still_there() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not still_there(), "the recording thread kept a connection the test database cannot drop"
