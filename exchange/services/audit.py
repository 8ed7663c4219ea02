"""Append-only, hash-chained audit log (SPEC §2, "Audit log")."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import django
import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from psycopg.conninfo import make_conninfo

from exchange.json_types import JSONValue, SQLRow
from exchange.models import AuditEntry, User
from exchange.services.chain import chain_lock

GENESIS_HASH = "0" * 64


def to_json_value(value: object) -> JSONValue:
    """Plain JSON (str/int/float/bool/None/list/dict) exactly as it will read back from the database."""
    return _as_stored(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def _as_stored(value: JSONValue) -> JSONValue:
    """A number as PostgreSQL's jsonb gives it back. jsonb keeps numbers as decimals and writes them
    without an exponent: a float of 1e16 or more (every such float is a whole number; Python writes
    `1e+16`) reads back as the integer `10000000000000000`, and -0.0 as `0.0`. Hashed in Python's form,
    such an entry would read back different and verify as edited; stored and hashed in this form, it
    reads back the same on PostgreSQL and on SQLite (which keeps the text)."""
    if isinstance(value, float):
        if value == 0:
            return 0.0
        if math.isfinite(value) and abs(value) >= 1e16:
            return int(Decimal(repr(value)))
        return value
    if isinstance(value, list):
        return [_as_stored(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_stored(item) for key, item in value.items()}
    return value


def entry_hash(
    *,
    entry_id: int,
    at: datetime,
    actor_id: int | None,
    actor_email: str,
    member_code: str,
    action: str,
    object_type: str,
    object_id: str,
    before: JSONValue,
    after: JSONValue,
    prev_hash: str,
) -> str:
    content = {
        "id": entry_id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_email": actor_email,
        "member": member_code,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    return hashlib.sha256(_canonical(content).encode()).hexdigest()


# The one canonical form of an entry's content (json.dumps with these options, without building an
# encoder per call: audit_verify hashes every entry through it).
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
# How that encoder writes a string (ensure_ascii=False): the C function it calls itself.
_encode_string = json.encoder.encode_basestring
# The C scanner json.loads ends in, and the C encoder _canonical builds afresh on every call (with the
# same options; no cycle check: parsed JSON has no cycles), made once for audit_verify's loop.
_scan_once: Callable[[str, int], tuple[JSONValue, int]] = (
    json.decoder.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set by __init__; typeshed omits it
)
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_canonical_chunks = None if _c_make_encoder is None else _c_make_encoder(
    None, json.JSONEncoder().default, _encode_string, None, ":", ",", True, False, True,
)


def _canonical_text(text: str) -> str:
    """_canonical(json.loads(text)), without the per-call set-up of either: the JSON text of a
    column read back as `::text` (no white space around it), written again canonically. Any text
    the scanner does not take whole (white space around it, or not JSON) goes through json.loads."""
    if _canonical_chunks is not None:
        try:
            value, end = _scan_once(text, 0)
        except (StopIteration, ValueError):  # not JSON where it starts, or further on
            end = -1
        if end == len(text):
            return "".join(_canonical_chunks(value, 0))
    return _canonical(json.loads(text))


def audit_record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object,
    before: JSONValue = None,
    after: JSONValue = None,
    member_code: str | None = None,
) -> AuditEntry:
    """Append one entry. Must be called inside the transaction that makes the change."""
    chain_lock()
    last = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    entry_id = (last["id"] + 1) if last else 1
    prev_hash = last["hash"] if last else GENESIS_HASH
    at = timezone.now().replace(tzinfo=UTC)
    actor_id = getattr(actor, "pk", None)
    actor_email = getattr(actor, "email", "") or ("system" if actor is None else str(actor))
    if member_code is None:
        member = getattr(actor, "member", None)
        member_code = member.code if member is not None else ""
    before_json = to_json_value(before)
    after_json = to_json_value(after)
    fields = {
        "at": at,
        "actor_id": actor_id,
        "actor_email": actor_email,
        "member_code": member_code,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before_json,
        "after": after_json,
        "prev_hash": prev_hash,
    }
    digest = entry_hash(entry_id=entry_id, **fields)
    return AuditEntry.objects.create(id=entry_id, hash=digest, **fields)


def audit_record_change(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object,
    before: JSONValue,
    after: JSONValue,
    member_code: str | None = None,
) -> AuditEntry | None:
    """Append an update's entry only if it changed what the entries show: a write that changed
    nothing leaves no entry."""
    if after == before:
        return None
    return audit_record(
        actor=actor, action=action, object_type=object_type, object_id=object_id, before=before, after=after,
        member_code=member_code,
    )


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


_CHAIN_FIELDS = ("id", "at", "actor_id", "actor_email", "member_code", "action", "object_type", "object_id",
                 "before", "after", "prev_hash", "hash")

# The columns the chain covers, in entry_hash's order; `at` as UTC timestamp text ("2026-12-05
# 21:36:15.46887", DateStyle ISO, set by the walk: the trailing zeros of its fraction dropped, which
# _parts_walk puts back) and the JSON columns as text, so the database formats while Python hashes.
# (`to_char` wrote entry_hash's form directly, at 1.3 µs of backend CPU an entry: more than the rest
# of the row.)
_CHAIN_SQL = (
    "SELECT id, (at AT TIME ZONE 'UTC')::text, actor_id, actor_email,"
    " member_code, action, object_type, object_id, before::text, after::text, prev_hash, hash"
    " FROM {table} WHERE id >= %s AND id <= %s ORDER BY id"
)
_ISO_DATES = "SELECT set_config('datestyle', 'ISO', true)"  # for this transaction: how `at` reads above
# Below this many entries one process walks the chain; above, ranges of it are walked in parallel.
PARALLEL_FROM = 200_000
RANGE_SIZE = 250_000
_NO_END = 2**63 - 1
_BEFORE_ANY = -(2**63) - 1  # below every bigint: the id "expected" before a walk's first row


@dataclass(frozen=True)
class _RangeWalk:
    """What walking a range of ids found: its first entry's id and prev_hash (None: no entry), the
    last hash, the id it expected next, and the first problem after its first entry (the seams, where
    the first entry must follow the previous range's last, are checked by the caller)."""

    first_id: int | None
    first_prev: str | None
    last_hash: str | None
    next_id: int | None
    problem: ChainProblem | None


def audit_verify(*, batch_size: int = 5000, workers: int | None = None,
                 range_size: int = RANGE_SIZE) -> tuple[int, ChainProblem | None]:
    """Walk the chain in id order. Returns (entries checked, first problem or None).

    Streams: on PostgreSQL a server-side cursor of plain tuples (`batch_size` rows a round trip) per
    range of `range_size` ids, walked by `workers` processes of their own (by default one per core
    when the log has PARALLEL_FROM entries or more) — each range's links are checked inside it and
    the seams between ranges here — so memory stays flat however long the log; elsewhere the ORM's
    chunked iterator.
    """
    if connection.vendor != "postgresql":
        rows = AuditEntry.objects.order_by("id").values_list(*_CHAIN_FIELDS).iterator(chunk_size=batch_size)
        return _chain_walk(rows)
    last_id = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if workers is None:
        workers = 1 if last_id < PARALLEL_FROM else min(4, os.cpu_count() or 1)
    bounds = [(start, start + range_size - 1) for start in range(1, max(last_id, 1) + 1, range_size)]
    bounds[0] = (-_NO_END, bounds[0][1])  # an id below 1 is out of place: the first range sees it
    bounds[-1] = (bounds[-1][0], _NO_END)  # and entries appended meanwhile are walked too
    conninfo = make_conninfo("", **{key: value for key, value in connection.get_connection_params().items()
              if key in ("dbname", "user", "password", "host", "port", "sslmode")})
    tasks = [(conninfo, low, high, batch_size) for low, high in bounds]
    if workers <= 1 or len(tasks) == 1:
        # One walk on this connection (inside the caller's transaction, if any: it sees what it wrote).
        with transaction.atomic(), connection.connection.cursor(name="audit_verify") as cursor:
            cursor.itersize = batch_size
            connection.connection.execute(_ISO_DATES)
            cursor.execute(_CHAIN_SQL.format(table=AuditEntry._meta.db_table), (-_NO_END, _NO_END))
            return _seams_check([_parts_walk(_batched(cursor, batch_size))])
    # Spawned, not forked: a fork of a process with threads (a Celery worker, a web server, pytest's)
    # can inherit a lock some other thread held and hang. Each worker sets Django up, then walks.
    with multiprocessing.get_context("spawn").Pool(workers, initializer=django.setup) as pool:
        return _seams_check(pool.imap(_range_walk_star, tasks))


def _seams_check(walks: Iterable[_RangeWalk]) -> tuple[int, ChainProblem | None]:
    """The ranges' results in id order: the first problem, at a seam or inside a range."""
    expected_id, expected_prev = 1, GENESIS_HASH
    for walk in walks:
        if walk.first_id is None or walk.next_id is None:
            continue  # no entry in this range: the next one names the gap
        if walk.first_id != expected_id:
            return expected_id - 1, ChainProblem(
                expected_id, f"entry {expected_id} is missing (next entry found is {walk.first_id})"
            )
        if walk.first_prev != expected_prev:
            return expected_id - 1, ChainProblem(expected_id, _PREV_MISMATCH)
        if walk.problem is not None:
            return walk.problem.entry_id - 1, walk.problem
        expected_id, expected_prev = walk.next_id, walk.last_hash or expected_prev
    return expected_id - 1, None


def _range_walk_star(task: tuple[str, int, int, int]) -> _RangeWalk:
    return _range_walk(*task)


def _range_walk(conninfo: str, low: int, high: int, batch_size: int) -> _RangeWalk:
    """The entries with ids low..high, on a connection of its own (in a worker process, or here)."""
    with psycopg.connect(conninfo) as conn, conn.cursor(name="audit_verify") as cursor:
        cursor.itersize = batch_size
        conn.execute(_ISO_DATES)
        cursor.execute(_CHAIN_SQL.format(table=AuditEntry._meta.db_table), (low, high))
        return _parts_walk(_batched(cursor, batch_size))


def _batched(cursor: psycopg.ServerCursor[SQLRow], size: int) -> Iterator[SQLRow]:
    """The cursor's rows, `size` a round trip, walked as lists (a third less of this process's time per
    row than iterating the named cursor itself, which steps a generator for every row)."""
    return itertools.chain.from_iterable(iter(functools.partial(cursor.fetchmany, size), []))


_PREV_MISMATCH = ("its prev_hash does not match the previous entry's hash "
                  "(an entry before it was changed, removed or reordered)")


def _parts_walk(rows: Iterable[SQLRow]) -> _RangeWalk:
    """The chain's rules over rows of _CHAIN_SQL, from the first row's id on; the first entry's id and
    prev_hash are returned for the caller to check against the entry before the range.

    This loop is the whole cost of verifying millions of entries, so entry_hash's canonical content is
    written here as text rather than through a dict: the keys in their sorted order, each string as
    the canonical encoder writes it (`encode_basestring`, the encoder's own function), the JSON columns
    parsed and re-encoded canonically (a JSON text seen recently is not parsed again), then one SHA-256.
    """
    canonical, sha256, enc = _canonical_text, hashlib.sha256, _encode_string
    seen: dict[str | None, str] = {None: "null"}
    first_id: int | None = None
    first_prev: str | None = None
    expected_id = _BEFORE_ANY
    expected_prev: str | None = None
    for entry_id, at, actor_id, actor_email, member, action, object_type, object_id, before, after, prev, digest \
            in rows:
        if entry_id != expected_id:
            if expected_id != _BEFORE_ANY:
                problem = ChainProblem(expected_id, f"entry {expected_id} is missing (next entry found is {entry_id})")
                return _RangeWalk(first_id, first_prev, expected_prev, expected_id, problem)
            first_id = expected_id = entry_id
        if prev != expected_prev:
            if expected_prev is not None:
                return _RangeWalk(first_id, first_prev, expected_prev, expected_id,
                                  ChainProblem(entry_id, _PREV_MISMATCH))
            first_prev = prev
        after_text = seen.get(after)
        if after_text is None:
            after_text = canonical(after)
            if len(seen) < 4096:
                seen[after] = after_text
        before_text = seen.get(before)
        if before_text is None:
            before_text = canonical(before)
            if len(seen) < 4096:
                seen[before] = before_text
        if len(at) != 26:  # "YYYY-MM-DD HH:MM:SS.ffffff" unless its fraction ended in zeros
            at = _at_padded(at)
        content = (f'{{"action":{enc(action)},"actor_email":{enc(actor_email)},"actor_id":'
                   f'{"null" if actor_id is None else actor_id},"after":{after_text},"at":"{at[:10]}T{at[11:]}+00:00",'
                   f'"before":{before_text},'
                   f'"id":{entry_id},"member":{enc(member)},"object_id":{enc(object_id)},'
                   f'"object_type":{enc(object_type)},"prev":{enc(prev)}}}')
        if sha256(content.encode()).hexdigest() != digest:
            problem = ChainProblem(entry_id, "its content does not match its hash (it was edited)")
            return _RangeWalk(first_id, first_prev, expected_prev, expected_id, problem)
        expected_prev = digest
        expected_id += 1
    return _RangeWalk(first_id, first_prev, expected_prev, expected_id, None)


def _at_padded(text: str) -> str:
    """A timestamp's text with its fraction of a second written to the microsecond, as isoformat does."""
    seconds, _, fraction = text.partition(".")
    return f"{seconds}.{fraction:0<6}"


def _chain_walk(rows: Iterable[SQLRow]) -> tuple[int, ChainProblem | None]:
    """The chain's rules over rows of _CHAIN_FIELDS (the ORM's values, off PostgreSQL)."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    for entry_id, at, actor_id, actor_email, member, action, object_type, object_id, before, after, prev, digest \
            in rows:
        if entry_id != expected_id:
            return expected_id - 1, ChainProblem(
                expected_id, f"entry {expected_id} is missing (next entry found is {entry_id})"
            )
        if prev != expected_prev:
            return expected_id - 1, ChainProblem(entry_id, _PREV_MISMATCH)
        content = {
            "id": entry_id, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "actor_id": actor_id,
            "actor_email": actor_email, "member": member, "action": action, "object_type": object_type,
            "object_id": object_id, "before": before, "after": after, "prev": prev,
        }
        if hashlib.sha256(_canonical(content).encode()).hexdigest() != digest:
            return expected_id - 1, ChainProblem(entry_id, "its content does not match its hash (it was edited)")
        expected_prev = digest
        expected_id += 1
    return expected_id - 1, None
