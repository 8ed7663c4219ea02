"""Signing keys and detached JWS signatures (SPEC §8).

Each member has one active Ed25519 key; the network has its own (member NULL) for audit
checkpoints. A signature is a compact JWS (RFC 7515) with a detached payload (Appendix F:
`header..signature`): `alg` EdDSA, the key's `kid` in the protected header, and as payload the
RFC 8785 canonical JSON of the signed object. Anyone holding the public key (the JWKS at
/api/v1/members/{code}/keys/) verifies it with any JOSE library, offline.

Private keys exist in clear only in memory while signing. At rest they are encrypted with AES-GCM
(the `cryptography` library) under a key derived by HKDF from SIGNING_KEYS_SECRET, with the kid as
associated data, so that an encrypted key copied onto another row does not decrypt.

The network knows nothing of what it signs: callers (alerts, reports, checkpoints) pass the object.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TypedDict

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from exchange.choices import SigningKeyStatus
from exchange.errors import NotFound
from exchange.json_types import JSONObject, JSONValue
from exchange.models import Member, SigningKey, User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write

NETWORK_CODE = "NETWORK"  # the network's own keys, at /api/v1/members/NETWORK/keys/
_CODE = re.compile(r"[A-Z0-9_-]{1,16}")  # anything else (a NUL, a long string) is simply no member
JWS_ALG = "EdDSA"
ENCRYPTION_VERSION = "v1"
_HKDF_INFO = b"sax/signing-keys/aes-gcm/v1"


class Signature(TypedDict):
    kid: str
    jws: str


class SigningKeyUnreadable(ImproperlyConfigured):
    """The stored private key does not decrypt: SIGNING_KEYS_SECRET changed or the row was altered."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(value: JSONValue) -> bytes:
    """RFC 8785 (JCS): the bytes every verifier recomputes from the JSON it received.

    The value goes through plain JSON first, so that what is signed is exactly what a reader
    parses (and anything that is not JSON fails here, not at a verifier)."""
    return rfc8785.dumps(json.loads(json.dumps(value)))


# --- keys at rest -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _aead(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret.encode())
    return AESGCM(key)


def _encrypt_private(raw: bytes, kid: str) -> str:
    nonce = os.urandom(12)
    sealed = _aead(settings.SIGNING_KEYS_SECRET).encrypt(nonce, raw, kid.encode())
    return f"{ENCRYPTION_VERSION}.{b64url(nonce + sealed)}"


def _private_key(key: SigningKey) -> Ed25519PrivateKey:
    version, _, blob = key.private_key_encrypted.partition(".")
    try:
        if version != ENCRYPTION_VERSION:
            raise ValueError(version)
        data = b64url_decode(blob)
        raw = _aead(settings.SIGNING_KEYS_SECRET).decrypt(data[:12], data[12:], key.kid.encode())
    except (InvalidTag, ValueError) as exc:
        raise SigningKeyUnreadable(
            f"Signing key {key.kid} does not decrypt with SIGNING_KEYS_SECRET (was the secret changed?)."
        ) from exc
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if b64url(_public_raw(private.public_key())) != key.public_key:
        raise SigningKeyUnreadable(f"Signing key {key.kid}: the private key does not match the published one.")
    return private


def _public_raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk_thumbprint(x: str) -> str:
    """RFC 7638 thumbprint of an Ed25519 JWK (RFC 8037 §2): SHA-256 of its required members."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def key_material(owner_code: str) -> JSONObject:
    """A fresh key's fields: kid, public key and encrypted private key (also used by the migration
    that gave existing members their first key)."""
    private = Ed25519PrivateKey.generate()
    x = b64url(_public_raw(private.public_key()))
    now = timezone.now()
    kid = f"{owner_code}-{now:%Y%m%d}-{jwk_thumbprint(x)[:12]}"
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return {"kid": kid, "public_key": x, "private_key_encrypted": _encrypt_private(raw, kid), "created_at": now}


def _new_key(member: Member | None) -> SigningKey:
    material = key_material(member.code if member is not None else NETWORK_CODE)
    return SigningKey(member=member, status=SigningKeyStatus.ACTIVE, **material)


def _key_state(key: SigningKey) -> JSONObject:
    """What the audit log records of a key: public facts only."""
    return {"kid": key.kid, "x": key.public_key, "status": key.status}


@audited_write
def signing_key_create(*, actor: User | None, member: Member | None) -> SigningKey:
    """A first key for a new member (called in the member's creating transaction) or the network."""
    key = _new_key(member)
    key.save()
    audit_record(actor=actor, action="signing_key.created", object_type="signing_key", object_id=key.kid,
                 after=_key_state(key), member_code=member.code if member else "")
    return key


def signing_key_active(*, member: Member | None) -> SigningKey:
    """The key that signs for `member` now. One is made if the member has none (e.g. the network's
    first checkpoint on a fresh database); concurrent callers agree on one by the unique index."""
    keys = SigningKey.objects.filter(status=SigningKeyStatus.ACTIVE)
    keys = keys.filter(member=member) if member is not None else keys.filter(member__isnull=True)
    key = keys.first()
    if key is not None:
        return key
    SigningKey.objects.bulk_create([_new_key(member)], ignore_conflicts=True)
    return keys.get()


@audited_write  # the audit chain first, then row locks: one lock order everywhere
def signing_key_rotate(*, actor: User | None, member: Member | None) -> SigningKey:
    """Retire the member's active key (it stays published) and make a new one that signs from now."""
    current = signing_key_active(member=member)
    current = SigningKey.objects.select_for_update(of=("self",)).get(pk=current.pk)
    current.status = SigningKeyStatus.RETIRED
    current.retired_at = timezone.now()
    current.save(update_fields=["status", "retired_at"])
    key = _new_key(member)
    key.save()
    audit_record(actor=actor, action="signing_key.rotated", object_type="signing_key", object_id=key.kid,
                 before=_key_state(current), after=_key_state(key), member_code=member.code if member else "")
    return key


def signing_owner(*, code: str) -> Member | None:
    """The member whose keys are published under `code` (None for NETWORK); 404 for an unknown code."""
    code = code.strip().upper()
    if code == NETWORK_CODE:
        return None
    member = Member.objects.filter(code=code).first() if _CODE.fullmatch(code) else None
    if member is None:
        raise NotFound(f"No member with code {code!r}.", errors={"member": ["unknown member code"]})
    return member


def signing_keys_of(*, member: Member | None) -> list[SigningKey]:
    keys = SigningKey.objects.filter(member=member) if member else SigningKey.objects.filter(member__isnull=True)
    return list(keys.order_by("-created_at", "-id"))


def jwk_render(key: SigningKey) -> JSONObject:
    return {
        "kty": "OKP", "crv": "Ed25519", "x": key.public_key, "kid": key.kid, "use": "sig", "alg": JWS_ALG,
        "status": key.status, "created": key.created_at.isoformat().replace("+00:00", "Z"),
    }


def jwks_render(keys: Iterable[SigningKey]) -> JSONObject:
    """A JWKS (RFC 7517) of public keys only: the private key never leaves this module."""
    return {"keys": [jwk_render(key) for key in keys]}


# --- signing and verifying --------------------------------------------------------------------------


def jws_sign_detached(*, key: SigningKey, payload: JSONValue) -> str:
    header = b64url(json.dumps({"alg": JWS_ALG, "kid": key.kid}, separators=(",", ":")).encode())
    signing_input = f"{header}.{b64url(canonical_json(payload))}".encode("ascii")
    return f"{header}..{b64url(_private_key(key).sign(signing_input))}"


def sign(*, member: Member | None, payload: JSONValue) -> Signature:
    """Sign `payload` (a JSON value) as `member` (None: the network) with its active key."""
    key = signing_key_active(member=member)
    return {"kid": key.kid, "jws": jws_sign_detached(key=key, payload=payload)}


def jws_verify_detached(*, jws: str, payload: JSONValue, keys: Iterable[SigningKey]) -> SigningKey | None:
    """The key (among `keys`) whose signature `jws` is over `payload`, or None."""
    try:
        header_b64, empty, signature_b64 = jws.split(".")
        header = json.loads(b64url_decode(header_b64))
        signature = b64url_decode(signature_b64)
    except (ValueError, TypeError):
        return None
    if empty or not isinstance(header, dict) or header.get("alg") != JWS_ALG:
        return None
    key = next((k for k in keys if k.kid == header.get("kid")), None)
    if key is None:
        return None
    signing_input = f"{header_b64}.{b64url(canonical_json(payload))}".encode("ascii")
    try:
        Ed25519PublicKey.from_public_bytes(b64url_decode(key.public_key)).verify(signature, signing_input)
    except (InvalidSignature, ValueError):
        return None
    return key


def signature_check(*, member: Member | None, payload: JSONValue, signature: JSONValue) -> SigningKey | None:
    """Server-side check of a stored signature against the member's published keys (for the portal)."""
    if not isinstance(signature, dict) or not isinstance(signature.get("jws"), str):
        return None
    return jws_verify_detached(jws=signature["jws"], payload=payload, keys=signing_keys_of(member=member))
