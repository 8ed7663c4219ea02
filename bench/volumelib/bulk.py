"""What makes the build fast: the big tables generated inside PostgreSQL (`INSERT … SELECT` over
`generate_series`, no row crossing the socket), their secondary indexes dropped during the load and
rebuilt after (two at a time, `maintenance_work_mem` per session), foreign-key triggers off for the
loading sessions (`session_replication_role = replica`, session-level: the server's configuration is
never changed), and the feed numbering and index builds spread over two connections.

Every column a statement does not give takes the field's default, as `Table` computes it
(bench/volumelib/copy.py), so a field added to a model later with a default needs no change here.
"""

from __future__ import annotations

import os
import queue
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
from django.db import connection, models

from bench.volumelib.copy import Table

# Tables whose secondary indexes (and unique constraints) are dropped during the load and rebuilt after.
# Tables whose secondary indexes (and unique constraints) are dropped during the load and rebuilt
# after, largest first (their indexes are rebuilt in this order, the longest builds started first).
DEFERRED = (
    "exchange_feedentry", "exchange_auditentry", "exchange_delivery", "alerts_reportmetric",
    "alerts_acknowledgement", "alerts_acknowledgemententry", "alerts_report", "alerts_reportrecipient",
)
# Generated statements look expensive to the planner, which then spends ~0.3 s compiling each (JIT).
SESSION = ("SET session_replication_role = replica", "SET synchronous_commit = off", "SET jit = off",
           "SET maintenance_work_mem = '512MB'", "SET work_mem = '128MB'")
SESSION_RESET = ("RESET session_replication_role", "RESET synchronous_commit", "RESET jit", "RESET maintenance_work_mem",
                 "RESET work_mem")
# Tables loaded UNLOGGED (no row goes through the WAL), their primary key dropped too, and made LOGGED
# again before their indexes are built: the feed entries (~98 M rows at scale 1.0; nothing references them).
UNLOGGED = ("exchange_feedentry",)
WORKERS = 2  # the machine's cores


def _literal(text: str) -> str:
    return "NULL" if text == "\\N" else "'" + text.replace("'", "''") + "'"


def insert_select(model: type[models.Model], exprs: dict[str, str], source: str, label: str) -> int:
    """INSERT INTO the model's table SELECT `exprs` (column → SQL) FROM `source`; other columns their default."""
    table = Table(model, given=tuple(exprs))
    values = [exprs[column] if column in exprs else _literal(default)
              for column, default in zip(table.columns, table.template, strict=True)]
    columns = ", ".join(f'"{column}"' for column in table.columns)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table.name} ({columns}) SELECT {', '.join(values)} FROM {source}")
        count = cursor.rowcount
    seconds = time.perf_counter() - started
    print(f"  {label}: {count:,} rows in {seconds:.1f} s ({count / max(seconds, 1e-9):,.0f}/s)", flush=True)
    return count


def execute(sql: str, params: Sequence[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def loading_session() -> Iterator[None]:
    """The Django connection set for loading (foreign-key triggers off), restored after."""
    for statement in SESSION:
        execute(statement)
    try:
        yield
    finally:
        for statement in SESSION_RESET:
            execute(statement)


def connect() -> psycopg.Connection:
    """A connection of its own to the database being built, set for loading."""
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    for statement in SESSION:
        conn.execute(statement)  # type: ignore[arg-type]  # fixed text
    return conn


def run_parallel(statements: list[str], label: str) -> None:
    """Run independent statements over WORKERS connections of their own (each its own backend: both
    cores), each connection taking the next statement in order when it is free."""
    started = time.perf_counter()
    pending: queue.SimpleQueue[str] = queue.SimpleQueue()
    for statement in statements:
        pending.put(statement)

    def worker() -> None:
        with connect() as conn:
            while True:
                try:
                    statement = pending.get_nowait()
                except queue.Empty:
                    return
                conn.execute(statement)  # type: ignore[arg-type]  # built here from catalogue names

    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(worker) for _ in range(WORKERS)]:
            future.result()
    print(f"  {label}: {len(statements)} statements in {time.perf_counter() - started:.1f} s", flush=True)


_INDEXES_SQL = """
SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid), con.conname, pg_get_constraintdef(con.oid)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE t.relname = ANY(%s) AND (NOT i.indisprimary OR t.relname = ANY(%s))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
ORDER BY array_position(%s::text[], t.relname::text), c.relname
"""


def indexes_drop(tables: Sequence[str]) -> tuple[list[str], list[str]]:
    """Drop the tables' secondary indexes and unique constraints (and the primary keys of UNLOGGED
    tables); answers the statements that rebuild them: the indexes (all of them, each `CREATE INDEX`
    takes a lock that lets the others on its table build at the same time), then the constraints
    attached to their indexes (`ALTER TABLE … USING INDEX`, instant)."""
    indexes: list[str] = []
    constraints: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES_SQL, [list(tables), list(UNLOGGED), list(tables)])
        for table, index, definition, constraint, constraint_def in cursor.fetchall():
            if constraint:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                attached = re.sub(r"^(PRIMARY KEY|UNIQUE) \(.*?\)", rf'\1 USING INDEX "{index}"', constraint_def)
                if attached == constraint_def:  # not one an index can be attached to (EXCLUDE): built as it was
                    constraints.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {constraint_def}')
                    continue
                constraints.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {attached}')
            else:
                cursor.execute(f'DROP INDEX "{index}"')
            indexes.append(definition)
        for table in UNLOGGED:
            cursor.execute(f"ALTER TABLE {table} SET UNLOGGED")
    return indexes, constraints


def logged_again() -> None:
    """The UNLOGGED tables written to the WAL as they are (before their indexes exist, so that the
    rewrite has none to rebuild)."""
    started = time.perf_counter()
    for table in UNLOGGED:
        execute(f"ALTER TABLE {table} SET LOGGED")
    print(f"  {', '.join(UNLOGGED)} logged again in {time.perf_counter() - started:.1f} s", flush=True)


def indexes_rebuild(rebuild: tuple[list[str], list[str]]) -> None:
    indexes, constraints = rebuild
    run_parallel(indexes, "indexes rebuilt")
    for statement in constraints:
        execute(statement)
