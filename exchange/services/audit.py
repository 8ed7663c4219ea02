"""Append-only, hash-chained audit log (SPEC §2, "Audit log")."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def audit_verify(*, batch_size: int = 2000) -> tuple[int, ChainProblem | None]:
    """Walk the chain in id order. Returns (entries checked, first problem or None)."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return checked, None
        for entry in batch:
            if entry.id != expected_id:
                return checked, ChainProblem(
                    expected_id, f"entry {expected_id} is missing (next entry found is {entry.id})"
                )
            if entry.prev_hash != expected_prev:
                return checked, ChainProblem(
                    entry.id, "its prev_hash does not match the previous entry's hash "
                    "(an entry before it was changed, removed or reordered)"
                )
            digest = entry_hash(
                entry_id=entry.id,
                at=entry.at,
                actor_id=entry.actor_id,
                actor_email=entry.actor_email,
                member_code=entry.member_code,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                before=entry.before,
                after=entry.after,
                prev_hash=entry.prev_hash,
            )
            if digest != entry.hash:
                return checked, ChainProblem(entry.id, "its content does not match its hash (it was edited)")
            expected_prev = entry.hash
            expected_id += 1
            checked += 1
            last_id = entry.id
