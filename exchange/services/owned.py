"""Rows one member owns and changes through audited services: subscriptions and webhook endpoints."""

from __future__ import annotations

from typing import TypeVar

from exchange.json_types import JSONObject
from exchange.models import Subscription, User, WebhookEndpoint
from exchange.services.audit import audit_record

Owned = TypeVar("Owned", Subscription, WebhookEndpoint)


def owned_locked(row: Owned) -> Owned:
    """The row re-read under its own lock, with its member (read, never locked: `of=self`).

    Audited writes only: the chain lock comes first (docs/architecture.md, "One lock, one order").
    """
    return type(row).objects.select_for_update(of=("self",)).select_related("member").get(pk=row.pk)


def owned_delete(*, actor: User | None, row: Owned, object_type: str, before: JSONObject) -> None:
    """Delete the row and append `<object_type>.deleted` with what it was, under its member's code."""
    member_code, pk = row.member.code, row.pk
    row.delete()
    audit_record(
        actor=actor, action=f"{object_type}.deleted", object_type=object_type, object_id=pk, before=before,
        member_code=member_code,
    )
