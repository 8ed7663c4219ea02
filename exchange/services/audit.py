"""Append-only, hash-chained audit log (SPEC §2, "Audit log")."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from exchange.models import AuditEntry
from exchange.services.chain import chain_lock

GENESIS_HASH = "0" * 64


def to_json_value(value: Any) -> Any:
    """Plain JSON (str/int/float/bool/None/list/dict) exactly as it will read back from the database."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


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
    before: Any,
    after: Any,
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


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any,
    before: Any = None,
    after: Any = None,
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
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any,
    before: Any,
    after: Any,
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


# The columns the chain covers, in entry_hash's order; `at` as entry_hash writes it (UTC, microseconds)
# and the JSON columns as text, so the database formats while Python hashes.
_CHAIN_SQL = (
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'), actor_id, actor_email,"
    " member_code, action, object_type, object_id, before::text, after::text, prev_hash, hash"
    " FROM {table} ORDER BY id"
)
_CHAIN_FIELDS = ("id", "at", "actor_id", "actor_email", "member_code", "action", "object_type", "object_id",
                 "before", "after", "prev_hash", "hash")


def audit_verify(*, batch_size: int = 5000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in id order. Returns (entries checked, first problem or None).

    Streams: on PostgreSQL a server-side cursor of plain tuples (`batch_size` rows a round trip), so
    memory stays flat however long the log; elsewhere the ORM's chunked iterator.
    """
    if connection.vendor != "postgresql":
        rows = AuditEntry.objects.order_by("id").values_list(*_CHAIN_FIELDS).iterator(chunk_size=batch_size)
        return _chain_walk(rows, text=False)
    with transaction.atomic(), connection.connection.cursor(name="audit_verify") as cursor:
        cursor.itersize = batch_size
        cursor.execute(_CHAIN_SQL.format(table=AuditEntry._meta.db_table))
        return _chain_walk(cursor, text=True)


def _chain_walk(rows: Iterable[tuple[Any, ...]], *, text: bool) -> tuple[int, ChainProblem | None]:
    """The chain's rules over rows of _CHAIN_FIELDS; `text`: `at` formatted and JSON as text (PostgreSQL).

    entry_hash's content, inlined: this loop is the whole cost of verifying millions of entries.
    """
    expected_prev = GENESIS_HASH
    expected_id = 1
    loads, canonical, sha256 = json.loads, _canonical, hashlib.sha256
    for entry_id, at, actor_id, actor_email, member, action, object_type, object_id, before, after, prev, digest \
            in rows:
        if entry_id != expected_id:
            return expected_id - 1, ChainProblem(
                expected_id, f"entry {expected_id} is missing (next entry found is {entry_id})"
            )
        if prev != expected_prev:
            return expected_id - 1, ChainProblem(
                entry_id, "its prev_hash does not match the previous entry's hash "
                "(an entry before it was changed, removed or reordered)"
            )
        if text:
            before = None if before is None else loads(before)
            after = None if after is None else loads(after)
        else:
            at = at.astimezone(UTC).isoformat(timespec="microseconds")
        content = {
            "id": entry_id, "at": at, "actor_id": actor_id, "actor_email": actor_email, "member": member,
            "action": action, "object_type": object_type, "object_id": object_id, "before": before,
            "after": after, "prev": prev,
        }
        if sha256(canonical(content).encode()).hexdigest() != digest:
            return expected_id - 1, ChainProblem(entry_id, "its content does not match its hash (it was edited)")
        expected_prev = digest
        expected_id += 1
    return expected_id - 1, None
