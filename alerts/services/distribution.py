"""Who a restricted alert or report goes to: one rule for both."""

from __future__ import annotations

from collections.abc import Iterable

from alerts.choices import Distribution
from exchange.errors import ValidationFailed
from exchange.models import Member


def recipients_resolve(*, codes: Iterable[str], distribution: str, publisher: Member, noun: str) -> list[Member]:
    """The members a `restricted` publication lists (the publisher is implied); none otherwise."""
    wanted = sorted({code.strip().upper() for code in codes} - {publisher.code})
    if distribution != Distribution.RESTRICTED:
        if wanted:
            raise ValidationFailed(
                "recipients: only a 'restricted' distribution lists recipients.",
                errors={"recipients": ["only with distribution 'restricted'"]},
            )
        return []
    if not wanted:
        raise ValidationFailed(
            f"recipients: a 'restricted' {noun} needs at least one other member code.",
            errors={"recipients": ["required for distribution 'restricted'"]},
        )
    members = list(Member.objects.filter(code__in=wanted))
    unknown = sorted(set(wanted) - {m.code for m in members})
    if unknown:
        raise ValidationFailed(
            f"recipients: unknown member code {unknown[0]}.",
            errors={"recipients": [f"unknown member code {code}" for code in unknown]},
        )
    return members
