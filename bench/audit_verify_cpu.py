"""Benchmark (not a test): the CPU that verify_audit_log spends per entry, on both sides of the socket.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax_volume1 bench/audit_verify_cpu.py --last-id 1000000

Walks the entries with ids 1..LAST_ID as one worker of `manage.py verify_audit_log` walks its range
(exchange.services.audit._range_walk's query and loop, on a connection of its own) and prints the wall
rate and the CPU per entry of this process (`process_time`) and of its PostgreSQL backend (utime +
stime from /proc/<pid>/stat: the server must be on this machine). On a shared machine the wall rate
follows the load; the CPU per entry says what two free cores would do (two workers, each with its
backend). Read-only.
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import psycopg
from django.db import connection
from psycopg.conninfo import make_conninfo

from exchange.models import AuditEntry
from exchange.services import audit

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--last-id", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=5000)
    args = parser.parse_args()
    conninfo = make_conninfo("", **{key: value for key, value in connection.get_connection_params().items()
                                          if key in ("dbname", "user", "password", "host", "port")})
    for _ in range(args.repeats):
        with psycopg.connect(conninfo) as conn, conn.cursor(name="audit_verify") as cursor:
            pid = conn.info.backend_pid
            load = os.getloadavg()[0]
            backend0, python0, wall0 = backend_cpu(pid), time.process_time(), time.perf_counter()
            cursor.itersize = args.batch_size
            conn.execute(audit._ISO_DATES)
            cursor.execute(audit._CHAIN_SQL.format(table=AuditEntry._meta.db_table), (1, args.last_id))
            walk = audit._parts_walk(audit._batched(cursor, args.batch_size))
            python, wall = time.process_time() - python0, time.perf_counter() - wall0
            backend = backend_cpu(pid) - backend0
        if walk.problem is not None or walk.next_id is None:
            raise SystemExit(f"audit_verify_cpu: the chain does not verify: {walk.problem}")
        entries = walk.next_id - 1
        print(f"{entries:,} entries in {wall:.1f} s ({entries / wall:,.0f}/s); CPU per entry: this process "
              f"{python / entries * 1e6:.2f} µs, its backend {backend / entries * 1e6:.2f} µs, together "
              f"{(python + backend) / entries * 1e6:.2f} µs; load {load:.1f} → {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
