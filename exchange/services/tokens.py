"""API tokens: issued once, stored as a SHA-256 hash, recognisable by their `sax_` prefix.

Format: ``sax_`` + 32 random base62 characters + a 6-character base62 CRC32 of them, so that a
secret scanner can recognise a leaked token, and check it is well formed, without asking us.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from exchange.choices import Scope, sorted_scopes
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import ApiToken, User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write

TOKEN_PREFIX = "sax_"  # noqa: S105 - a public prefix, not a secret
_ALPHABET = string.digits + string.ascii_letters
_RANDOM_LENGTH = 32
_CHECK_LENGTH = 6
TOKEN_LENGTH = len(TOKEN_PREFIX) + _RANDOM_LENGTH + _CHECK_LENGTH
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def token_checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), _CHECK_LENGTH)


def token_is_well_formed(value: str) -> bool:
    if len(value) != TOKEN_LENGTH or not value.startswith(TOKEN_PREFIX):
        return False
    body = value[len(TOKEN_PREFIX):]
    random_part, check = body[:_RANDOM_LENGTH], body[_RANDOM_LENGTH:]
    return all(c in _ALPHABET for c in body) and token_checksum(random_part) == check


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _new_token_value() -> str:
    random_part = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_LENGTH))
    return TOKEN_PREFIX + random_part + token_checksum(random_part)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    value: str  # shown once, never stored


def _token_state(token: ApiToken) -> JSONObject:
    return {
        "name": token.name,
        "user": token.user.email,
        "key_prefix": token.key_prefix,
        "scopes": token.scopes,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@audited_write
def token_issue(
    *,
    actor: User | None,
    user: User,
    name: str = "",
    scopes: Iterable[str] | None = None,
    expires_days: int | None = None,
) -> IssuedToken:
    if user.member is None:
        raise ValidationFailed(
            f"{user.email} belongs to no member; API tokens are for member users.",
            errors={"user": ["not a member user"]},
        )
    if not user.is_active:
        raise Conflict(f"{user.email} is deactivated; reactivate the user first.", errors={"user": ["inactive"]})
    allowed = user.role_scopes
    if scopes is None:
        chosen = set(allowed)
    else:
        chosen = set(scopes)
        unknown = chosen - set(Scope.values)
        if unknown:
            raise ValidationFailed(
                f"Unknown scope(s) {', '.join(sorted(unknown))}; known scopes are {', '.join(Scope.values)}.",
                errors={"scopes": [f"unknown scope {s!r}" for s in sorted(unknown)]},
            )
        wider = chosen - allowed
        if wider:
            raise PermissionRefused(
                f"Scope(s) {', '.join(sorted(wider))} exceed the role {user.role!r} of {user.email}.",
                errors={"scopes": [f"{s!r} is not allowed for role {user.role!r}" for s in sorted(wider)]},
            )
        if not chosen:
            raise ValidationFailed("A token needs at least one scope.", errors={"scopes": ["empty"]})
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise ValidationFailed(
            "expires_days must be between 1 and 3650.", errors={"expires_days": ["between 1 and 3650"]}
        )
    value = _new_token_value()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=(name or "API token").strip()[:100],
        key_prefix=value[:12],
        key_hash=token_hash(value),
        scopes=sorted_scopes(chosen),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    audit_record(actor=actor, action="token.issued", object_type="token", object_id=token.pk,
                 after=_token_state(token), member_code=user.member.code)
    return IssuedToken(token=token, value=value)


@audited_write
def token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user__member").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = _token_state(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    member = token.user.member
    audit_record(actor=actor, action="token.revoked", object_type="token", object_id=token.pk,
                 before=before, after=_token_state(token), member_code=member.code if member else "")
    return token


def token_authenticate(value: str) -> ApiToken | None:
    """The live token for a presented value, or None. Expired and revoked tokens are returned
    too, so that the caller can say which; the caller refuses them."""
    if not token_is_well_formed(value):
        return None
    try:
        token = ApiToken.objects.select_related("user__member").get(key_hash=token_hash(value))
    except ApiToken.DoesNotExist:
        return None
    now = timezone.now()
    live = token.revoked_at is None and not token.is_expired(now)
    if live and (token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION):
        # A conditional UPDATE: recording use never contends with other writes of the row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_effective_scopes(token: ApiToken) -> frozenset[str]:
    """A token never allows more than its user's role allows now (roles can be lowered)."""
    return frozenset(token.scopes) & token.user.role_scopes
