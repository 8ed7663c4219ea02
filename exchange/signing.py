"""Standard Webhooks signatures (https://www.standardwebhooks.com/), with the standardwebhooks package.

Secrets have the `whsec_<base64>` form. While a rotated secret is still within its overlap, both
secrets sign, and `webhook-signature` carries both signatures separated by a space, so that a
receiver verifies with either the old or the new secret.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from functools import lru_cache

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32


def secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@lru_cache(maxsize=4096)
def _signer(secret: str) -> Webhook:
    return Webhook(secret)


def signature_header(*, secrets: list[str], msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for each secret, space-separated."""
    at = datetime.fromtimestamp(timestamp, UTC)
    return " ".join(_signer(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets)


def secret_fingerprint(secret: str) -> str:
    """A short, non-reversible name for a secret, for the audit log (never the secret itself)."""
    import hashlib

    return hashlib.sha256(secret.encode()).hexdigest()[:12] if secret else ""
