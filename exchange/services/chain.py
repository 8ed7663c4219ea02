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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

CHAIN_LOCK_KEY = 0x5A7C_4A11  # arbitrary, constant across processes

_depth: ContextVar[int] = ContextVar("sax_audited_transaction_depth", default=0)

P = ParamSpec("P")
R = TypeVar("R")


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
