"""What a publishing member signs (SPEC §8): each alert revision's JSON and each report's
`signed_content`, inside the publishing or amending transaction.

Both are rendered by alerts/payloads.py, which the API shows too, so that `alerts/{id}/revisions/`
without `signature` is the signed payload byte for byte after RFC 8785 canonicalisation.
"""

from __future__ import annotations

from alerts.models import AlertRevision, Report
from alerts.payloads import revision_signed_payload
from exchange.json_types import JSONObject
from exchange.models import Member, SigningKey
from exchange.services.provenance import jws_verify_detached, sign, signature_check, signing_keys_of

REPORT_UNSIGNED_FIELDS = ("signed_content", "signature")


def revision_sign(revision: AlertRevision, *, publisher: Member) -> None:
    """Sets the revision's signature (before it is saved, in the publishing transaction)."""
    revision.signature = dict(sign(member=publisher, payload=revision_signed_payload(revision)))


def report_signed_content(rendered: JSONObject) -> JSONObject:
    """A report's JSON (`report_payload`) without its provenance fields: what is kept as
    `signed_content` and signed."""
    return {key: value for key, value in rendered.items() if key not in REPORT_UNSIGNED_FIELDS}


def report_sign(report: Report, *, rendered: JSONObject) -> None:
    """Keeps the report as published and its signature (in the publishing transaction)."""
    report.signed_content = report_signed_content(rendered)
    report.signature = dict(sign(member=report.publisher, payload=report.signed_content))


def revisions_verified_keys(revisions: list[AlertRevision], *, publisher: Member) -> dict[int, SigningKey | None]:
    """For each revision (by number), the publisher's key its signature verifies with, or None; the
    keys are read once."""
    keys = signing_keys_of(member=publisher)
    return {
        revision.number: jws_verify_detached(
            jws=revision.signature["jws"], payload=revision_signed_payload(revision), keys=keys
        ) if isinstance(revision.signature, dict) and isinstance(revision.signature.get("jws"), str) else None
        for revision in revisions
    }


def revision_verified_key(revision: AlertRevision, *, publisher: Member) -> SigningKey | None:
    """The publisher's key that the stored signature verifies with, or None (for the portal's mark)."""
    return signature_check(member=publisher, payload=revision_signed_payload(revision), signature=revision.signature)


def report_verified_key(report: Report) -> SigningKey | None:
    return signature_check(member=report.publisher, payload=report.signed_content, signature=report.signature)
