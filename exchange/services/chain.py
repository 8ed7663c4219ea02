"""The one lock that orders the audit chain and the event sequence — and with it, every audited write.

Both need "the previous row" to be final when the next is written. The lock is a PostgreSQL
transaction-scoped advisory lock, released at commit after the rows are visible, so readers see
audit ids and event sequences appear in order. SQLite serialises writers already (the
connection starts transactions IMMEDIATE), so there it is a no-op.

Lock order, by construction: every audited write runs in `audited_transaction()` (or a function
decorated with `@audited_write`), which opens the transaction and takes the chain lock as its first
statement, before any row lock. `audit_record` and `event_record` refuse to run anywhere else, so
a write that forgot the helper fails its own tests instead of deadlocking in production.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

CHAIN_LOCK_KEY = 0x5A7C_4A11  # arbitrary, constant across processes

_depth: ContextVar[int] = ContextVar("sax_audited_transaction_depth", default=0)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

# How long a batch of periodic work should hold its locks (the chain lock, for audited ones): the next
# batch is sized from how long the last one took.
BATCH_SECONDS = 0.25
BATCH_FIRST = 2  # the first batch of a sweep, before it knows how long a row takes on this database


class LockOrderError(RuntimeError):
    """An audit entry or event was written outside `audited_transaction()`."""


def _take() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


@contextmanager
def audited_transaction() -> Iterator[None]:
    """Open (or join) a transaction and take the chain lock first, before any row lock.

    Re-entrant: a nested call joins the outer audited transaction (PostgreSQL advisory locks
    stack within a session, and the outer one already holds it).
    """
    with transaction.atomic():
        token = _depth.set(_depth.get() + 1)
        try:
            _take()
            yield
        finally:
            _depth.reset(token)


def audited_write(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `audited_transaction()` for services."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with audited_transaction():
            return func(*args, **kwargs)

    return wrapper


def chain_lock() -> None:
    """Assert the chain lock is held: called by `audit_record` and `event_record`."""
    if not connection.in_atomic_block:
        raise LockOrderError("chain_lock() must run inside audited_transaction()")
    if _depth.get() == 0:
        raise LockOrderError(
            "audit entries and events are written only inside audited_transaction() (or @audited_write), "
            "which takes the chain lock before any row lock"
        )


def next_batch_size(size: int, seconds: float, most: int) -> int:
    """The next batch after one of `size` rows that took `seconds`: half after one that held its locks
    longer than BATCH_SECONDS, double after one well under (at most `most`). Retention's batches and
    the overdue sweeps' (`audited_batches`) are sized so: on a database whose old rows are no longer
    cached a batch of 200 events read ~2,000 pages at random and held its locks for 3–4 s (scale 1.0 of
    bench/volume.py on a cold page cache); with a warm one it takes ~100 ms."""
    if seconds > BATCH_SECONDS:
        return max(1, size // 2)
    if seconds < BATCH_SECONDS / 2:
        return min(most, size * 2)
    return size


def within_batch_time(rows: Iterable[T], until: float) -> Iterator[T]:
    """The rows in order while the clock (`time.monotonic`) is before `until` — always the first."""
    for index, row in enumerate(rows):
        if index and time.monotonic() > until:
            return
        yield row


def audited_batches(fetch: Callable[[int], list[T]], handle: Callable[[list[T], float], int], *,
                    most: int, first: int = BATCH_FIRST) -> int:
    """Work through rows in audited transactions, none holding the network's chain lock much longer than
    BATCH_SECONDS: `fetch(size)` locks and returns up to `size` rows; `handle(rows, until)` handles them
    in order (`within_batch_time`) until the clock passes `until` — at least one — and returns how many
    it handled; the rest stay for a later batch. Batches are sized from the last one's time (the first
    `first`, at most `most`). Returns how many rows were handled. The overdue sweeps' reminders cost
    40–200 ms a row at scale 1.0, where batches of 200 held every audited write for 8–13 s."""
    done, size = 0, max(1, min(first, most))
    while True:
        started = time.monotonic()
        with audited_transaction():
            rows = fetch(size)
            handled = handle(rows, started + BATCH_SECONDS) if rows else 0
        if rows and not handled:
            raise RuntimeError("audited_batches: a batch handled none of its rows")
        done += handled
        if len(rows) < size and handled == len(rows):
            return done
        size = next_batch_size(size, time.monotonic() - started, most)
