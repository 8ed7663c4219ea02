"""Standard Webhooks signatures (https://www.standardwebhooks.com/), verified against the standardwebhooks package.

Secrets have the `whsec_<base64>` form. While a rotated secret is still within its overlap, both
secrets sign, and `webhook-signature` carries both signatures separated by a space, so that a
receiver verifies with either the old or the new secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=4096)
def _key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret, as standardwebhooks reads it."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature_header(*, secrets: list[str], msg_id: str, timestamp: int, body: str | bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for each secret, space-separated.

    The scheme of standardwebhooks' `Webhook.sign` (which tests verify it against), computed on the
    body's bytes as given: a fan-out encodes its body once, not once per delivery and secret."""
    signed = b"%s.%d.%s" % (msg_id.encode(), timestamp, body.encode() if isinstance(body, str) else body)
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode() for secret in secrets
    )


def secret_fingerprint(secret: str) -> str:
    """A short, non-reversible name for a secret, for the audit log (never the secret itself)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12] if secret else ""
