"""The `postgres` delivery store: each operation one statement, no id list or Python object per row
travelling to the database and back (see exchange/services/deliveries/store.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Hashable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar, cast

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.db.models import Aggregate, F, FloatField, Func, Model, QuerySet

from exchange.choices import OPEN_DELIVERY_STATES, Channel, DeliveryState, MemberStatus
from exchange.json_types import SQLParam
from exchange.services.deliveries.leases import AttemptRow, ClaimQuery, LeasedDelivery, WebhookRows

M = TypeVar("M", bound=Model)

# The SQL spells the open states as the partial due index's condition does, so the planner uses it.
assert {DeliveryState.PENDING, DeliveryState.RETRYING} == set(OPEN_DELIVERY_STATES)

# What sending a leased delivery `c` needs: its row, whether its member is active, its endpoint's URL
# and secrets (the previous one during its overlap), and the event's number in the member's feed.
_TARGETS_SQL = """
SELECT c.id, c.event_id, c.member_id, c.channel, c.endpoint_id, c.email, c.attempt_count,
       c.schedule_position, m.status = %(active)s, COALESCE(e.url, ''), COALESCE(e.enabled, false),
       COALESCE(e.secret, ''),
       CASE WHEN e.previous_secret <> '' AND e.previous_secret_expires_at > %(now)s
            THEN e.previous_secret ELSE '' END,
       f.sequence
FROM {source} c JOIN exchange_member m ON m.id = c.member_id
LEFT JOIN exchange_webhookendpoint e ON e.id = c.endpoint_id
LEFT JOIN exchange_feedentry f ON f.event_id = c.event_id AND f.member_id = c.member_id
"""

# One statement ranks the first due rows per endpoint, locks those still free (SKIP LOCKED), leases
# them and returns them with their endpoint's URL and secrets and whether their member is active.
_CLAIM_SQL = """
WITH due AS (
    SELECT ctid, channel, endpoint_id, next_attempt_at FROM exchange_delivery
    WHERE state IN ('pending', 'retrying') AND next_attempt_at <= %(now)s
      AND (lease_until IS NULL OR lease_until < %(now)s) {exclude}
    ORDER BY next_attempt_at LIMIT %(window)s
), ranked AS (
    SELECT ctid, next_attempt_at,
           row_number() OVER (PARTITION BY channel, endpoint_id ORDER BY next_attempt_at) AS rank
    FROM due
), picked AS (
    -- The locking scan goes straight to the candidates' row versions (three claims' worth, so that
    -- concurrent claims each still find free rows) by their physical address, read in this same
    -- statement, so no index is walked: by primary key each candidate cost a descent of the
    -- primary-key index (random UUIDs: ~3 pages each, about a third of a claim at 150,000
    -- deliveries). A row another claim has since leased is found through its newer
    -- version and skipped by the conditions, checked again on each locked row — wrapped in IS TRUE so
    -- that no index matches them (given the bare conditions the planner re-read the due index, dead
    -- entries included, once per claim or even once per candidate). The limit applies after SKIP
    -- LOCKED, so that two pumps claiming at once take the next free rows, not nothing.
    SELECT d.id FROM exchange_delivery d
    WHERE d.ctid = ANY(ARRAY(
        SELECT ctid FROM ranked WHERE rank <= %(per_target)s ORDER BY next_attempt_at LIMIT %(candidates)s
    ))
      AND (d.state IN ('pending', 'retrying') AND d.next_attempt_at <= %(now)s
           AND (d.lease_until IS NULL OR d.lease_until < %(now)s)) IS TRUE
    ORDER BY d.next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE exchange_delivery d SET lease_until = %(until)s, lease_token = %(token)s
    FROM picked WHERE d.id = picked.id
    RETURNING d.id, d.event_id, d.member_id, d.channel, d.endpoint_id, d.email, d.attempt_count,
              d.schedule_position, d.next_attempt_at
)
""" + _TARGETS_SQL.replace("{source}", "claimed") + "ORDER BY c.next_attempt_at\n"  # noqa: S608
_EXCLUDE_ENDPOINTS = "AND (endpoint_id IS NULL OR NOT endpoint_id = ANY(string_to_array(%(excluded)s, ',')::uuid[]))"
_EXCLUDE_EMAIL = f" AND channel <> '{Channel.EMAIL}'"

# The deliveries fan-out wrote already leased to a pump, read (not updated) by that pump.
_ADOPT_SQL = _TARGETS_SQL.replace("{source}", "exchange_delivery") + """
WHERE c.event_id = %(event)s AND c.lease_token = %(token)s AND c.lease_until > %(now)s
  AND c.state IN ('pending', 'retrying')
ORDER BY c.next_attempt_at
"""

# The attempts and the deliveries' new states of a whole batch in one statement, the batch
# travelling as one JSON document. The update is conditional on the lease token, so a pump that
# lost its lease cannot overwrite a newer result; its attempt is still logged.
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

# A batch's endpoints: the failing spells its successes end, and those its failures start.
_SPELLS_END_SQL = """
UPDATE exchange_webhookendpoint SET failing_since = NULL
WHERE id = ANY(string_to_array(%(ids)s, ',')::uuid[]) AND failing_since IS NOT NULL
"""
_SPELLS_START_SQL = """
UPDATE exchange_webhookendpoint SET failing_since = %(now)s
WHERE id = ANY(string_to_array(%(ids)s, ',')::uuid[]) AND failing_since IS NULL
"""

# Webhook deliveries of an event written by the database in one statement, from the matching
# subscriptions' enabled endpoints (of the subscription's own member), unique per (event, endpoint) —
# no Python object per delivery: the first `limit` by endpoint id, leased to `lease` (or, with no
# lease, all of them, those already written skipped).
_WEBHOOK_DELIVERIES_SQL = """
INSERT INTO exchange_delivery (id, event_id, member_id, channel, endpoint_id, email, state, attempt_count,
                               schedule_position, next_attempt_at, last_error, created_at, lease_until, lease_token)
SELECT gen_random_uuid(), %(event)s, targets.member_id, %(webhook)s, targets.endpoint_id, '', %(pending)s, 0, 0,
       %(due)s, '', %(now)s, %(lease_until)s::timestamptz, %(lease)s::uuid
FROM (
    SELECT DISTINCT e.id AS endpoint_id, e.member_id
    FROM exchange_subscription s
    JOIN exchange_subscriptionendpoint se ON se.subscription_id = s.id
    JOIN exchange_webhookendpoint e ON e.id = se.endpoint_id AND e.member_id = s.member_id
    WHERE s.id = ANY(string_to_array(%(subscriptions)s, ',')::uuid[]) AND e.enabled
) AS targets
ORDER BY targets.endpoint_id
LIMIT %(limit)s
ON CONFLICT DO NOTHING
"""


class Median(Aggregate):
    """The continuous median of the expression (no portable percentile aggregate exists in Django)."""

    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


class EpochSeconds(Func):  # type: ignore[explicit-any]  # django-stubs declare Func.__init__ with Any
    """The length of an interval in seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def id_list(values: Iterable[object]) -> str:
    """Ids as one text parameter (`string_to_array(%s, ',')::uuid[]`): binding a long list of
    UUIDs one by one costs the client more CPU than the whole statement costs the server."""
    return ",".join(str(value) for value in values)


# A row as _TARGETS_SQL selects it: the delivery's (LeasedRow), then its targets.
TargetsRow = tuple[
    uuid.UUID, uuid.UUID | None, int, str, uuid.UUID | None, str, int, int, bool, str, bool, str, str, int | None
]


def _leased(cursor: CursorWrapper) -> list[LeasedDelivery]:
    """The LeasedDelivery deliveries of the rows `cursor` holds, shaped as _TARGETS_SQL selects them."""
    rows = cast(list[TargetsRow], cursor.fetchall())
    return [
        LeasedDelivery(*row[:8], member_active=row[8], url=row[9], endpoint_enabled=row[10],
                       secrets=tuple(secret for secret in row[11:13] if secret), sequence=row[13])
        for row in rows
    ]


def _json_rows(rows: Sequence[AttemptRow]) -> str:
    """The batch as JSON, its ids and times spelled out first so that the C encoder does it all."""
    return json.dumps([
        {"id": str(row.id), "at": row.at.isoformat(), "status": row.status, "duration": row.duration,
         "error": row.error, "body": row.body, "state": row.state,
         "next_at": row.next_at.isoformat() if row.next_at else None, "position": row.position, "count": row.count}
        for row in rows
    ])


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return connection.ops.quote_name(column)


def _counters_sql(model: type[Model], key: Sequence[str], counters: Sequence[str], constraint: str) -> str:
    """The statement for counters_add: every name is a model's column or constraint, quoted, never input."""
    key_cols = [_column(model, name) for name in key]
    counter_cols = [_column(model, name) for name in counters]
    columns = ", ".join(key_cols + counter_cols)
    values = ", ".join(["%s"] * (len(key_cols) + len(counter_cols)))
    sets = ", ".join(f"{col} = t.{col} + EXCLUDED.{col}" for col in counter_cols)
    quote = connection.ops.quote_name
    return (f"INSERT INTO {quote(model._meta.db_table)} AS t ({columns}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT ON CONSTRAINT {quote(constraint)} DO UPDATE SET {sets}")


class PostgresStore:
    name = "postgres"

    def claim(self, query: ClaimQuery) -> list[LeasedDelivery]:
        exclude = (_EXCLUDE_ENDPOINTS if query.excluded else "") + (_EXCLUDE_EMAIL if query.exclude_email else "")
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL.replace("{exclude}", exclude), {
                "now": query.now, "window": query.window, "per_target": query.per_target, "limit": query.limit,
                "candidates": query.candidates, "until": query.until, "token": query.token,
                "excluded": id_list(query.excluded), "active": MemberStatus.ACTIVE,
            })
            return _leased(cursor)

    def adopt(self, *, token: uuid.UUID, event_id: uuid.UUID, now: datetime) -> list[LeasedDelivery]:
        with connection.cursor() as cursor:
            cursor.execute(_ADOPT_SQL, {"event": event_id, "token": token, "now": now, "active": MemberStatus.ACTIVE})
            return _leased(cursor)

    def attempts_record(self, *, token: uuid.UUID, rows: Sequence[AttemptRow], now: datetime) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_RECORD_SQL, {
                "results": _json_rows(rows), "token": token, "now": now, "succeeded": DeliveryState.SUCCEEDED,
            })

    def failing_spells_update(self, *, ended: Collection[uuid.UUID], started: Collection[uuid.UUID],
                              now: datetime) -> None:
        with connection.cursor() as cursor:
            if ended:
                cursor.execute(_SPELLS_END_SQL, {"ids": id_list(ended)})
            if started:
                cursor.execute(_SPELLS_START_SQL, {"ids": id_list(started), "now": now})

    def webhook_deliveries_write(self, rows: WebhookRows) -> int:
        with connection.cursor() as cursor:
            cursor.execute(_WEBHOOK_DELIVERIES_SQL, {
                "event": rows.event_id, "webhook": Channel.WEBHOOK, "pending": DeliveryState.PENDING,
                "due": rows.due, "now": rows.now, "subscriptions": id_list(rows.subscription_ids),
                "lease": rows.lease, "lease_until": rows.lease_until, "limit": rows.limit,
            })
            return max(int(cursor.rowcount), 0)

    def median_seconds(self, rows: QuerySet[M], *, group: str, start: str, end: str) -> dict[Hashable, float]:
        medians = (
            rows.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).order_by()
            .values(group).annotate(median=Median(EpochSeconds(F(end) - F(start)))).values_list(group, "median")
        )
        return dict(medians)

    def counters_add(self, model: type[Model], *, key: Sequence[str], counters: Sequence[str],
                     rows: Sequence[Sequence[SQLParam]], constraint: str) -> None:
        """One `INSERT … ON CONFLICT ON CONSTRAINT … DO UPDATE` per row: the addition happens in the row."""
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(_counters_sql(model, key, counters, constraint), rows)
