"""Recording attempts: the attempt log and each delivery's next state, a batch in one statement."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from exchange.choices import DeliveryState
from exchange.models import Delivery, DeliveryAttempt, WebhookEndpoint
from exchange.services.deliveries.claims import LeasedDelivery, uuid_list
from exchange.services.deliveries.schedule import retry_delay
from exchange.transports.base import Outcome, short_error
from exchange.transports.webhook import (
    RESPONSE_BODY_LIMIT,
)

# PostgreSQL: the attempts and the deliveries' new states of a whole batch in one statement, the
# batch travelling as one JSON document. The update is conditional on the lease token, so a
# pump that lost its lease cannot overwrite a newer result; its attempt is still logged.
_RECORD_SQL = """
WITH r AS (
    SELECT * FROM jsonb_to_recordset(%(results)s::jsonb) AS r(
        id uuid, at timestamptz, status int, duration int, error text, body text, state text,
        next_at timestamptz, position int, count int)
), attempts AS (
    INSERT INTO exchange_deliveryattempt (delivery_id, at, status_code, duration_ms, error, response_body)
    SELECT id, at, status, duration, error, body FROM r
)
UPDATE exchange_delivery d SET
    state = r.state, attempt_count = r.count, schedule_position = r.position, next_attempt_at = r.next_at,
    lease_until = NULL, lease_token = NULL, last_attempt_at = r.at, last_status_code = r.status,
    last_error = r.error,
    succeeded_at = CASE WHEN r.state = %(succeeded)s THEN %(now)s ELSE d.succeeded_at END
FROM r WHERE d.id = r.id AND d.lease_token = %(token)s
"""


_ENDPOINTS_HEALED_SQL = """
UPDATE exchange_webhookendpoint SET failing_since = NULL
WHERE id = ANY(string_to_array(%(ids)s, ',')::uuid[]) AND failing_since IS NOT NULL
"""
_ENDPOINTS_FAILING_SQL = """
UPDATE exchange_webhookendpoint SET failing_since = %(now)s
WHERE id = ANY(string_to_array(%(ids)s, ',')::uuid[]) AND failing_since IS NULL
"""


def _json_rows(rows: list[dict[str, Any]]) -> str:
    """The batch as JSON, its ids and times spelled out first so that the C encoder does it all."""
    return json.dumps([
        {**row, "id": str(row["id"]), "at": row["at"].isoformat(),
         "next_at": row["next_at"].isoformat() if row["next_at"] else None}
        for row in rows
    ])


def deliveries_record(*, token: uuid.UUID, results: list[tuple[LeasedDelivery, Outcome]]) -> list[uuid.UUID]:
    """Record attempts and move each delivery on; returns the endpoints answering 410 Gone.

    A delivery whose lease was lost (another pump re-claimed it after expiry) keeps its
    attempt in the log, but its state is left to the pump that holds it now.
    """
    if not results:
        return []
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    succeeded_endpoints: set[uuid.UUID] = set()
    failed_endpoints: set[uuid.UUID] = set()
    gone: list[uuid.UUID] = []
    for item, outcome in results:
        position = item.schedule_position + 1
        if outcome.ok:
            state, next_at = DeliveryState.SUCCEEDED, None
            if item.endpoint_id:
                succeeded_endpoints.add(item.endpoint_id)
        else:
            if item.endpoint_id:
                failed_endpoints.add(item.endpoint_id)
                if outcome.gone:
                    gone.append(item.endpoint_id)
            delay = None if outcome.permanent else retry_delay(position)
            if delay is not None and outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            state = DeliveryState.FAILED if delay is None else DeliveryState.RETRYING
            next_at = None if delay is None else now + timedelta(seconds=delay)
        rows.append({
            "id": item.id, "at": outcome.started_at, "status": outcome.status_code, "duration": outcome.duration_ms,
            "error": short_error(outcome.error), "body": outcome.response_body[:RESPONSE_BODY_LIMIT],
            "state": state, "next_at": next_at, "position": position, "count": item.attempt_count + 1,
        })
    still_failing = failed_endpoints - succeeded_endpoints
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_RECORD_SQL, {
                    "results": _json_rows(rows), "token": token, "now": now, "succeeded": DeliveryState.SUCCEEDED,
                })
                # Then the endpoints (deliveries before endpoints, as everywhere): a success ends an
                # endpoint's failing spell; a failure with no success in the batch may start one.
                if succeeded_endpoints:
                    cursor.execute(_ENDPOINTS_HEALED_SQL, {"ids": uuid_list(succeeded_endpoints)})
                if still_failing:
                    cursor.execute(_ENDPOINTS_FAILING_SQL, {"ids": uuid_list(still_failing), "now": now})
        else:
            _record_portable(token=token, rows=rows, now=now)
            if succeeded_endpoints:
                WebhookEndpoint.objects.filter(pk__in=succeeded_endpoints, failing_since__isnull=False).update(
                    failing_since=None
                )
            if still_failing:
                WebhookEndpoint.objects.filter(pk__in=still_failing, failing_since__isnull=True).update(
                    failing_since=now
                )
    return list(dict.fromkeys(gone))


def _record_portable(*, token: uuid.UUID, rows: list[dict[str, Any]], now: datetime) -> None:
    """The same recording through the ORM, for databases other than PostgreSQL."""
    DeliveryAttempt.objects.bulk_create(
        [
            DeliveryAttempt(delivery_id=row["id"], at=row["at"], status_code=row["status"],
                            duration_ms=row["duration"], error=row["error"], response_body=row["body"])
            for row in rows
        ],
        batch_size=500,
    )
    fields = ["state", "attempt_count", "schedule_position", "next_attempt_at", "lease_until", "lease_token",
              "last_attempt_at", "last_status_code", "last_error"]
    for succeeded in (True, False):
        Delivery.objects.filter(lease_token=token).bulk_update(
            [
                Delivery(id=row["id"], state=row["state"], attempt_count=row["count"],
                         schedule_position=row["position"], next_attempt_at=row["next_at"], lease_until=None,
                         lease_token=None, last_attempt_at=row["at"], last_status_code=row["status"],
                         last_error=row["error"], succeeded_at=now)
                for row in rows
                if (row["state"] == DeliveryState.SUCCEEDED) is succeeded
            ],
            fields=[*fields, "succeeded_at"] if succeeded else fields,
            batch_size=200,
        )
