"""Recording events (the outbox). Fan-out reads events alone; it never looks at alerts or reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from config.logs import current_request_id
from exchange.choices import AudienceKind
from exchange.models import Event, EventAudience, Member
from exchange.queueing import exchange_tasks as tasks  # queued by name: services never import tasks
from exchange.services.audit import to_json_value
from exchange.services.chain import chain_lock


def event_record(
    *,
    type: str,
    audience_kind: str,
    audience_codes: Iterable[str] = (),
    object_type: str,
    object_id: Any,
    publisher_code: str = "",
    facets: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Record one event in the caller's transaction; dispatch starts only once it commits."""
    if audience_kind not in AudienceKind.values:
        raise ValueError(f"unknown audience kind {audience_kind!r}")
    chain_lock()
    last = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    event = Event.objects.create(
        sequence=(last or 0) + 1,
        type=type,
        created_at=timezone.now(),
        audience_kind=audience_kind,
        object_type=object_type,
        object_id=str(object_id),
        publisher_code=publisher_code,
        facets=to_json_value(facets or {}),
        payload=to_json_value(payload or {}),
        request_id=current_request_id(),
    )
    codes = set(audience_codes)
    if codes:
        member_ids = Member.objects.filter(code__in=codes).values_list("id", flat=True)
        EventAudience.objects.bulk_create([EventAudience(event=event, member_id=mid) for mid in member_ids])
    tasks.event_dispatch.delay_on_commit(str(event.pk))
    return event
