"""The one lock that orders the audit chain and the event sequence.

Both need "the previous row" to be final when the next is written. The lock is a PostgreSQL
transaction-scoped advisory lock, released at commit after the rows are visible, so readers see
audit ids and event sequences appear in order. SQLite serialises writers already (the
connection starts transactions IMMEDIATE), so there it is a no-op.
"""

from __future__ import annotations

from django.db import connection, transaction

CHAIN_LOCK_KEY = 0x5A7C_4A11  # arbitrary, constant across processes


def chain_lock() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("chain_lock() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def in_transaction() -> bool:
    return transaction.get_connection().in_atomic_block
