"""The `orm` delivery store: what the `postgres` store does in one statement, through the ORM, on any
database Django supports (the embedded SQLite default; PostgreSQL too — the tests run it there)."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from collections.abc import Collection, Hashable, Sequence
from datetime import datetime
from typing import TypeVar, cast

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet, Window
from django.db.models.functions import RowNumber

from exchange.choices import OPEN_DELIVERY_STATES, Channel, DeliveryState, MemberStatus
from exchange.json_types import SQLParam
from exchange.models import (
    Delivery,
    DeliveryAttempt,
    FeedEntry,
    Member,
    SubscriptionEndpoint,
    WebhookEndpoint,
)
from exchange.services.deliveries.leases import (
    LEASED_FIELDS,
    AttemptRow,
    ClaimQuery,
    LeasedDelivery,
    LeasedRow,
    WebhookRows,
    due,
)

M = TypeVar("M", bound=Model)
_RECORDED_FIELDS = ["state", "attempt_count", "schedule_position", "next_attempt_at", "lease_until", "lease_token",
                    "last_attempt_at", "last_status_code", "last_error"]


def _leased_rows(deliveries: QuerySet[Delivery], limit: int | None = None) -> list[LeasedRow]:
    """The deliveries' rows (LEASED_FIELDS), oldest due first, at most `limit`."""
    return cast(list[LeasedRow], list(deliveries.order_by("next_attempt_at").values_list(*LEASED_FIELDS)[:limit]))


def _secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The endpoint's current secret, and its previous one during the overlap."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return (endpoint.secret, endpoint.previous_secret)
    return (endpoint.secret,)


def _with_targets(rows: list[LeasedRow], now: datetime) -> list[LeasedDelivery]:
    """Leased rows with their members, endpoints and feed numbers: what the `postgres` store joins."""
    endpoints = WebhookEndpoint.objects.in_bulk([row[4] for row in rows if row[4]])
    member_ids = {row[2] for row in rows}
    active = set(Member.objects.filter(pk__in=member_ids, status=MemberStatus.ACTIVE).values_list("pk", flat=True))
    numbers: dict[tuple[uuid.UUID | None, int], int] = {
        (event_id, member_id): sequence
        for event_id, member_id, sequence in FeedEntry.objects.filter(
            event_id__in={row[1] for row in rows}, member_id__in=member_ids
        ).values_list("event_id", "member_id", "sequence")
    }
    leased = []
    for row in rows:
        endpoint = endpoints.get(row[4]) if row[4] else None
        leased.append(LeasedDelivery(
            *row, member_active=row[2] in active, url=endpoint.url if endpoint else "",
            endpoint_enabled=bool(endpoint and endpoint.enabled),
            secrets=_secrets(endpoint, now) if endpoint else (), sequence=numbers.get((row[1], row[2])),
        ))
    return leased


class OrmStore:
    name = "orm"

    def claim(self, query: ClaimQuery) -> list[LeasedDelivery]:
        pool = due(query.now)
        if query.excluded:
            pool = pool.exclude(endpoint_id__in=query.excluded)
        if query.exclude_email:
            pool = pool.exclude(channel=Channel.EMAIL)
        window = pool.order_by("next_attempt_at").values("pk")[:query.window]
        candidates = list(
            Delivery.objects.filter(pk__in=window)
            .annotate(rank=Window(RowNumber(), partition_by=[F("channel"), F("endpoint_id")],
                                  order_by=F("next_attempt_at").asc()))
            .filter(rank__lte=query.per_target)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:query.candidates]
        )
        if not candidates:
            return []
        with transaction.atomic():
            free = due(query.now).filter(pk__in=candidates)
            if connection.features.has_select_for_update_skip_locked:
                free = free.select_for_update(skip_locked=True, of=("self",))
            rows = _leased_rows(free, query.limit)
            if not rows:
                return []
            Delivery.objects.filter(id__in=[row[0] for row in rows]).update(
                lease_until=query.until, lease_token=query.token
            )
        return _with_targets(rows, query.now)

    def adopt(self, *, token: uuid.UUID, event_id: uuid.UUID, now: datetime) -> list[LeasedDelivery]:
        rows = _leased_rows(Delivery.objects.filter(
            event_id=event_id, lease_token=token, lease_until__gt=now, state__in=OPEN_DELIVERY_STATES
        ))
        return _with_targets(rows, now)

    def attempts_record(self, *, token: uuid.UUID, rows: Sequence[AttemptRow], now: datetime) -> None:
        DeliveryAttempt.objects.bulk_create(
            [
                DeliveryAttempt(delivery_id=row.id, at=row.at, status_code=row.status, duration_ms=row.duration,
                                error=row.error, response_body=row.body)
                for row in rows
            ],
            batch_size=500,
        )
        for succeeded in (True, False):
            Delivery.objects.filter(lease_token=token).bulk_update(
                [
                    Delivery(id=row.id, state=row.state, attempt_count=row.count, schedule_position=row.position,
                             next_attempt_at=row.next_at, lease_until=None, lease_token=None,
                             last_attempt_at=row.at, last_status_code=row.status, last_error=row.error,
                             succeeded_at=now)
                    for row in rows
                    if (row.state == DeliveryState.SUCCEEDED) is succeeded
                ],
                fields=[*_RECORDED_FIELDS, "succeeded_at"] if succeeded else _RECORDED_FIELDS,
                batch_size=200,
            )

    def failing_spells_update(self, *, ended: Collection[uuid.UUID], started: Collection[uuid.UUID],
                              now: datetime) -> None:
        if ended:
            WebhookEndpoint.objects.filter(pk__in=ended, failing_since__isnull=False).update(failing_since=None)
        if started:
            WebhookEndpoint.objects.filter(pk__in=started, failing_since__isnull=True).update(failing_since=now)

    def webhook_deliveries_write(self, rows: WebhookRows) -> int:
        targets = sorted(set(
            SubscriptionEndpoint.objects.filter(
                subscription_id__in=rows.subscription_ids,
                endpoint__enabled=True,
                endpoint__member_id=F("subscription__member_id"),
            ).values_list("endpoint_id", "endpoint__member_id")
        ))[:rows.limit]
        if not targets:
            return 0
        written = Delivery.objects.filter(event_id=rows.event_id, channel=Channel.WEBHOOK)
        # bulk_create cannot tell which rows a conflict skipped (SQLite), so count what is there.
        before = written.count()
        Delivery.objects.bulk_create(
            [
                Delivery(event_id=rows.event_id, member_id=member_id, channel=Channel.WEBHOOK, endpoint_id=endpoint_id,
                         next_attempt_at=rows.due, created_at=rows.now, lease_token=rows.lease,
                         lease_until=rows.lease_until)
                for endpoint_id, member_id in targets
            ],
            ignore_conflicts=True, batch_size=1000,
        )
        return written.count() - before

    def median_seconds(self, rows: QuerySet[M], *, group: str, start: str, end: str) -> dict[Hashable, float]:
        durations: dict[Hashable, list[float]] = defaultdict(list)
        for key, started, ended in rows.order_by().values_list(group, start, end):
            if started is not None and ended is not None:
                durations[key].append((ended - started).total_seconds())
        return {key: statistics.median(values) for key, values in durations.items()}

    def counters_add(self, model: type[Model], *, key: Sequence[str], counters: Sequence[str],
                     rows: Sequence[Sequence[SQLParam]], constraint: str) -> None:
        """Per row: an `UPDATE` adding the counters in the row (`F() + n`), or the row created. The
        caller's transaction serialises writers here (SQLite locks the database at the first write)."""
        manager = model._default_manager
        with transaction.atomic():
            for row in rows:
                keys = dict(zip(key, row[:len(key)], strict=True))
                values = dict(zip(counters, row[len(key):], strict=True))
                lookup = {(name if value is not None else f"{name}__isnull"): (True if value is None else value)
                          for name, value in keys.items()}
                if not manager.filter(**lookup).update(**{name: F(name) + cast("int | float", value) for name, value in values.items()}):
                    manager.create(**keys, **values)
