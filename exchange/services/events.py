"""Recording events (the outbox). Fan-out reads events alone; it never looks at alerts or reports.

Each event is numbered twice, both under the chain lock in the transaction that records it: once in
the network's order (`Event.sequence`, internal), and once in the feed of every member that may see
it (`FeedEntry.sequence`, 1, 2, 3 … per member, what the events feed, notifications and webhooks
show). Members that may see it are fixed when it is recorded: the active members of its audience.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from config.logs import current_request_id
from exchange.choices import AudienceKind, MemberStatus
from exchange.json_types import JSONObject, SQLParam
from exchange.models import Event, EventAudience, FeedEntry, Member, MemberFeed
from exchange.queueing import exchange_tasks as tasks  # queued by name: services never import tasks
from exchange.services.audit import to_json_value
from exchange.services.chain import chain_lock


def event_record(
    *,
    type: str,
    audience_kind: str,
    audience_codes: Iterable[str] = (),
    object_type: str,
    object_id: uuid.UUID | int | str,
    publisher_code: str = "",
    facets: JSONObject | None = None,
    payload: JSONObject | None = None,
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
    feed_entries_number(event)
    tasks.event_dispatch.delay_on_commit(str(event.pk))
    return event


def _audience_where(event: Event) -> tuple[str, dict[str, SQLParam]]:
    """Which members may see the event: SQL over `m` (the member table), and its parameters."""
    params: dict[str, SQLParam] = {"active": MemberStatus.ACTIVE, "event": Event._meta.pk.get_db_prep_value(event.pk, connection)}
    where = "m.status = %(active)s"
    if event.audience_kind == AudienceKind.MEMBERS:
        audience = EventAudience._meta.db_table
        where += f" AND m.id IN (SELECT a.member_id FROM {audience} a WHERE a.event_id = %(event)s)"  # noqa: S608
    return where, params


def feed_entries_number(event: Event) -> None:
    """Give the event the next number in the feed of each active member of its audience.

    Called under the chain lock (by event_record): one statement on PostgreSQL bumps every such
    member's counter and writes its entry; SQLite (writers serialised already) takes two.
    """
    where, params = _audience_where(event)
    members, feeds, entries = Member._meta.db_table, MemberFeed._meta.db_table, FeedEntry._meta.db_table
    # Only table names (from the models) are formatted in; every value is a parameter.
    bump = (
        f"INSERT INTO {feeds} (member_id, last_sequence) SELECT m.id, 1 FROM {members} m WHERE {where}"  # noqa: S608
        f" ON CONFLICT (member_id) DO UPDATE SET last_sequence = {feeds}.last_sequence + 1"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH bumped AS ({bump} RETURNING member_id, last_sequence)"  # noqa: S608
                f" INSERT INTO {entries} (member_id, event_id, sequence)"
                " SELECT member_id, %(event)s, last_sequence FROM bumped",
                params,
            )
        else:
            cursor.execute(bump, params)
            cursor.execute(
                f"INSERT INTO {entries} (member_id, event_id, sequence)"  # noqa: S608
                f" SELECT f.member_id, %(event)s, f.last_sequence FROM {feeds} f"
                f" JOIN {members} m ON m.id = f.member_id WHERE {where}",
                params,
            )
