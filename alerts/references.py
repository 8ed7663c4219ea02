"""Alert references: `SAX-YYYY-XXXXXX`, six random Crockford base32 characters, so that a reference
says nothing about how many alerts were published before it, or when (SPEC §3).

References given before this scheme (`SAX-YYYY-NNNNNN`, six digits from a yearly counter) are
unchanged and still resolve: both shapes are matched by `REFERENCE` and normalised by
`reference_normalise` the same way.
"""

from __future__ import annotations

import re
import secrets

# Crockford's base32: digits and letters, less I, L, O and U (no confusable or offensive reads).
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE = re.compile(r"^SAX-([0-9]{4})-([0-9A-Z]{6})$")
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def reference_new(year: int) -> str:
    """A fresh random reference for `year` (uniqueness is the caller's: see alert_publish)."""
    return f"SAX-{year:04d}-" + "".join(secrets.choice(CROCKFORD) for _ in range(6))


def reference_normalise(value: object) -> str | None:
    """The reference a text stands for (upper-cased; I and L read as 1, O as 0, as Crockford reads
    them), or None if it is not shaped like a reference."""
    if not isinstance(value, str) or not value.isascii():
        return None
    text = value.strip().upper()
    match = REFERENCE.match(text)
    if match is None:
        return None
    return f"SAX-{match.group(1)}-{match.group(2).translate(_READ_AS)}"
