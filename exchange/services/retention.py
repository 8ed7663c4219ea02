"""Retention (SPEC §9): what may go, in small batches, each its own short transaction.

- Events older than `EVENT_RETENTION_DAYS`, with their deliveries, delivery attempts,
  notifications and audience rows. Only a *prefix* of the sequence is removed — every event
  below the first one still inside the window — so the events feed stays gap-free for a reader
  whose cursor is inside the window; the newest event and any event not yet fanned out are
  never removed (the next sequence is allocated from the newest one).
- Idempotency records older than 24 hours.
- Expired portal sessions.

Audit entries, alerts, revisions, reports and acknowledgements are never touched: this module
deletes from the tables named here and from no other.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from exchange.json_types import SQLParam
from exchange.models import (
    Delivery,
    DeliveryAttempt,
    EmailQuota,
    Event,
    EventAudience,
    FeedEntry,
    IdempotencyRecord,
    Notification,
    PersonalEmail,
)
from exchange.services.chain import next_batch_size

logger = logging.getLogger(__name__)

IDEMPOTENCY_RETENTION = timedelta(hours=24)
EVENT_BATCH = 200  # events per transaction at most
EVENT_BATCH_FIRST = 25  # the first batch of a sweep, before it knows how fast this database deletes
ROW_BATCH = 1000


@dataclass
class RetentionStats:
    events: int = 0
    deliveries: int = 0
    idempotency_records: int = 0
    sessions: int = 0
    personal_emails: int = 0


def events_removable_below(*, now: datetime) -> int:
    """The lowest sequence that must be kept: events below it may be removed."""
    cutoff = now - timedelta(days=settings.EVENT_RETENTION_DAYS)
    newest = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first()
    if newest is None:
        return 0
    keep_from = [newest]
    first_in_window = (
        Event.objects.filter(created_at__gte=cutoff).order_by("sequence").values_list("sequence", flat=True).first()
    )
    if first_in_window is not None:
        keep_from.append(first_in_window)
    first_undispatched = (
        Event.objects.filter(dispatched_at__isnull=True).order_by("sequence").values_list("sequence", flat=True).first()
    )
    if first_undispatched is not None:
        keep_from.append(first_undispatched)
    return min(keep_from)


def _delete_where_in(table: str, column: str, subquery: str, params: list[SQLParam]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({subquery})", params)  # noqa: S608 (names are ours)
        return int(cursor.rowcount or 0)


def _event_tables(event_ids: list[uuid.UUID]) -> tuple[list[SQLParam], list[tuple[str, str, str]]]:
    """The batch's ids as parameters, and (table, column, ids subquery) of what hangs off them, children first."""
    ids: list[SQLParam] = [Event._meta.pk.get_db_prep_value(pk, connection) for pk in event_ids]
    placeholders = ", ".join(["%s"] * len(ids))
    deliveries_of = f"SELECT id FROM {Delivery._meta.db_table} WHERE event_id IN ({placeholders})"  # noqa: S608
    return ids, [
        (DeliveryAttempt._meta.db_table, "delivery_id", deliveries_of), (Delivery._meta.db_table, "event_id", placeholders),
        (Notification._meta.db_table, "event_id", placeholders), (EventAudience._meta.db_table, "event_id", placeholders),
        (FeedEntry._meta.db_table, "event_id", placeholders), (Event._meta.db_table, "id", placeholders),
    ]


def _events_batch_read(event_ids: list[uuid.UUID]) -> None:
    """Read every row the batch will remove, holding no lock: on a database whose old rows are no longer
    cached, reading them was most of a batch's time (~2,000 pages at random for 200 events at scale 1.0).
    `xmin` is PostgreSQL's, read from each row itself, so that an index alone cannot answer."""
    if connection.vendor != "postgresql":
        return
    ids, tables = _event_tables(event_ids)
    with connection.cursor() as cursor:
        for table, column, subquery in tables:
            cursor.execute(f"SELECT count(xmin) FROM {table} WHERE {column} IN ({subquery})", ids)  # noqa: S608 (ours)


def _events_batch_delete(event_ids: list[uuid.UUID]) -> tuple[int, int]:
    """Remove a batch of events and everything that hangs off them, children first, in one transaction."""
    ids, tables = _event_tables(event_ids)
    with transaction.atomic():
        removed = {table: _delete_where_in(table, column, subquery, ids) for table, column, subquery in tables}
    return removed[Event._meta.db_table], removed[Delivery._meta.db_table]


def _personal_emails_delete(*, now: datetime, deadline: float) -> int:
    """E-mails to one person older than EVENT_RETENTION_DAYS, with their deliveries and attempts (those
    still held for their hour's summary stay), and the hourly cap's old counters."""
    cutoff = now - timedelta(days=settings.EVENT_RETENTION_DAYS)
    removed = 0
    while time.monotonic() < deadline:
        rows = list(
            PersonalEmail.objects.filter(created_at__lt=cutoff, held=False).values_list("pk", "delivery_id")[:ROW_BATCH]
        )
        if not rows:
            break
        with transaction.atomic():
            Delivery.objects.filter(pk__in=[delivery for _, delivery in rows if delivery]).delete()
            removed += PersonalEmail.objects.filter(pk__in=[pk for pk, _ in rows]).delete()[0]
    EmailQuota.objects.filter(hour__lt=now - timedelta(days=2)).delete()
    return removed


def retention_sweep(*, now: datetime | None = None, max_seconds: float = 60.0) -> RetentionStats:
    """Remove what may go, a batch at a time, for at most `max_seconds` (the next run goes on)."""
    now = now or timezone.now()
    deadline = time.monotonic() + max_seconds
    stats = RetentionStats()

    below = events_removable_below(now=now)
    size = min(EVENT_BATCH_FIRST, EVENT_BATCH)
    while time.monotonic() < deadline:
        ids = list(
            Event.objects.filter(sequence__lt=below).order_by("sequence").values_list("id", flat=True)[:size]
        )
        if not ids:
            break
        _events_batch_read(ids)
        started = time.monotonic()
        events, deliveries = _events_batch_delete(ids)
        size = next_batch_size(size, time.monotonic() - started, EVENT_BATCH)
        stats.events += events
        stats.deliveries += deliveries

    idempotency_cutoff = now - IDEMPOTENCY_RETENTION
    while time.monotonic() < deadline:
        pks = list(
            IdempotencyRecord.objects.filter(created_at__lt=idempotency_cutoff).values_list("pk", flat=True)[:ROW_BATCH]
        )
        if not pks:
            break
        stats.idempotency_records += IdempotencyRecord.objects.filter(pk__in=pks).delete()[0]

    stats.personal_emails = _personal_emails_delete(now=now, deadline=deadline)

    while time.monotonic() < deadline:
        keys = list(Session.objects.filter(expire_date__lt=now).values_list("pk", flat=True)[:ROW_BATCH])
        if not keys:
            break
        stats.sessions += Session.objects.filter(pk__in=keys).delete()[0]

    if stats.events or stats.idempotency_records or stats.sessions:
        logger.info(
            "Retention removed %d events (%d deliveries), %d idempotency records, %d expired sessions",
            stats.events, stats.deliveries, stats.idempotency_records, stats.sessions,
        )
    return stats
