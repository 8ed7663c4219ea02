"""Signed audit checkpoints (SPEC §8): the audit log's head, signed with the network's key.

The hash chain (exchange/services/audit.py) detects an edited or removed entry *inside* the log,
but not the removal of its newest entries, nor a chain rewritten from some entry on. A checkpoint
kept outside the database closes that gap: `checkpoint_verify` fails when an entry up to the
checkpoint was removed or changed, and names the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from exchange.choices import AudienceKind, EventType
from exchange.json_types import JSONObject, JSONValue
from exchange.models import AuditCheckpoint, AuditEntry, SigningKey
from exchange.services.audit import audit_verify
from exchange.services.chain import audited_write
from exchange.services.events import event_record
from exchange.services.provenance import (
    jws_sign_detached,
    jws_verify_detached,
    signing_key_active,
    signing_keys_of,
)

CHECKPOINT_FIELDS = ("entry_id", "entry_hash", "created_at")


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def checkpoint_signed_content(checkpoint: AuditCheckpoint) -> JSONObject:
    """What the checkpoint's JWS signs: the canonical JSON of these three."""
    return {"entry_id": checkpoint.entry_id, "entry_hash": checkpoint.entry_hash,
            "created_at": _iso(checkpoint.created_at)}


def checkpoint_render(checkpoint: AuditCheckpoint) -> JSONObject:
    """`{"entry_id", "entry_hash", "created_at", "jws"}`: the event's data and the API's item."""
    return {**checkpoint_signed_content(checkpoint), "jws": checkpoint.jws}


def audit_checkpoint_create() -> AuditCheckpoint | None:
    """Sign the current head and record the `audit.checkpoint` event; None when nothing was added
    since the last checkpoint (or the log is empty).

    Off the chain lock that every publish takes (issue #29: checkpoints every few seconds cost the
    publishing path nothing): a tick with nothing new reads two rows and returns; the head is
    signed before the lock is taken — a committed entry never changes, and entries commit in id
    order under that lock, so the newest one read is a head — and the lock covers only the
    re-check, the row and the event."""
    head = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    if head is None or _signed_up_to(head["id"]):
        return None
    checkpoint = AuditCheckpoint(
        entry_id=head["id"], entry_hash=head["hash"], created_at=timezone.now().replace(tzinfo=UTC)
    )
    key = signing_key_active(member=None)
    checkpoint.jws = jws_sign_detached(key=key, payload=checkpoint_signed_content(checkpoint))
    return _checkpoint_record(checkpoint)


def _signed_up_to(entry_id: int) -> bool:
    return AuditCheckpoint.objects.filter(entry_id__gte=entry_id).exists()


@audited_write
def _checkpoint_record(checkpoint: AuditCheckpoint) -> AuditCheckpoint | None:
    if _signed_up_to(checkpoint.entry_id):  # another tick got there first
        return None
    checkpoint.save()
    event_record(
        type=EventType.AUDIT_CHECKPOINT, audience_kind=AudienceKind.NETWORK, object_type="audit_checkpoint",
        object_id=checkpoint.entry_id, payload=checkpoint_render(checkpoint),
    )
    return checkpoint


@dataclass(frozen=True)
class CheckpointProblem:
    first_id: int
    last_id: int
    reason: str

    @property
    def range(self) -> str:
        return f"entry {self.first_id}" if self.first_id == self.last_id else f"entries {self.first_id}–{self.last_id}"


class CheckpointInvalid(ValueError):
    """The checkpoint itself is malformed or its signature does not verify."""


def network_keys_from_jwks(jwks: JSONValue) -> list[SigningKey]:
    """The NETWORK keys a member kept (a JWKS as /api/v1/members/NETWORK/keys/ gave it), as unsaved
    key rows to verify with — so that the check does not trust the keys now in the database."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise CheckpointInvalid('the key file is not a JWKS ({"keys": [...]})')
    keys = [
        SigningKey(kid=str(jwk["kid"]), public_key=str(jwk["x"]))
        for jwk in jwks["keys"]
        if isinstance(jwk, dict) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "x" in jwk
        and "kid" in jwk
    ]
    if not keys:
        raise CheckpointInvalid("the key file holds no Ed25519 key")
    return keys


def checkpoint_parse(data: JSONValue, *, keys: list[SigningKey] | None = None) -> JSONObject:
    """Validate a checkpoint as given (an event's data: extra keys such as event_id are ignored)
    and check its signature against `keys` (default: the network's keys in the database)."""
    if not isinstance(data, dict):
        raise CheckpointInvalid("a checkpoint is a JSON object with entry_id, entry_hash, created_at and jws")
    missing = [name for name in (*CHECKPOINT_FIELDS, "jws") if name not in data]
    if missing:
        raise CheckpointInvalid(f"the checkpoint lacks {', '.join(missing)}")
    if not isinstance(data["entry_id"], int) or isinstance(data["entry_id"], bool) or data["entry_id"] < 1:
        raise CheckpointInvalid("entry_id must be a positive whole number")
    if not all(isinstance(data[name], str) for name in ("entry_hash", "created_at", "jws")):
        raise CheckpointInvalid("entry_hash, created_at and jws must be strings")
    signed = {name: data[name] for name in CHECKPOINT_FIELDS}
    trusted = keys if keys is not None else signing_keys_of(member=None)
    if jws_verify_detached(jws=data["jws"], payload=signed, keys=trusted) is None:
        raise CheckpointInvalid(
            "its signature does not verify with the network's "
            + ("keys in the given JWKS" if keys is not None else "published keys")
            + " (the checkpoint was altered, or it is not from this exchange)"
        )
    return signed


def _still_matches(entry_id: int, entry_hash: str) -> bool:
    return AuditEntry.objects.filter(id=entry_id, hash=entry_hash).exists()


def checkpoint_verify(
    data: JSONValue, *, keys: list[SigningKey] | None = None
) -> tuple[int, CheckpointProblem | None]:
    """(entries verified, the first problem) for the log up to a checkpoint.

    Raises CheckpointInvalid when the checkpoint itself cannot be trusted.
    """
    signed = checkpoint_parse(data, keys=keys)
    trusted = keys if keys is not None else signing_keys_of(member=None)
    entry_id, entry_hash = signed["entry_id"], signed["entry_hash"]
    checked, problem = audit_verify()
    if problem is not None and problem.entry_id <= entry_id:
        return checked, CheckpointProblem(problem.entry_id, problem.entry_id, problem.reason)
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if last < entry_id:
        return checked, CheckpointProblem(
            last + 1, entry_id,
            f"missing: the log ends at entry {last}, but the checkpoint of {signed['created_at']} "
            f"covers entries up to {entry_id}",
        )
    if _still_matches(entry_id, entry_hash):
        return min(checked, entry_id), None
    # The chain is consistent but leads elsewhere: entries were changed or removed and the chain
    # recomputed from some point. The newest earlier signed checkpoint that still matches bounds it.
    intact = 0
    for earlier in AuditCheckpoint.objects.filter(entry_id__lt=entry_id).order_by("-entry_id").iterator():
        content = checkpoint_signed_content(earlier)
        if jws_verify_detached(jws=earlier.jws, payload=content, keys=trusted) is None:
            continue
        if _still_matches(earlier.entry_id, earlier.entry_hash):
            intact = earlier.entry_id
            break
    return checked, CheckpointProblem(
        intact + 1, entry_id,
        f"changed or removed: entry {entry_id} no longer has the hash the checkpoint signed "
        f"({entry_hash[:16]}…), so an entry in this range was altered or removed and the chain rewritten"
        + (f" (entries up to {intact} still match an earlier checkpoint)" if intact else ""),
    )
