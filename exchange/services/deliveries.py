"""Sending deliveries: claim due rows, send them concurrently, record every attempt.

A `DeliveryPump` runs inside one Celery task. Its thread talks to the database only: it claims
due deliveries atomically (`SELECT ... FOR UPDATE SKIP LOCKED` where the database has it), puts a
lease on them, prepares the messages and hands them to an asyncio event loop in a second thread,
where the transports send many at once, at most WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT per
endpoint. Results come back through a queue and are recorded in bulk: attempts, state, and the
next attempt from WEBHOOK_RETRY_SCHEDULE with jitter — kept in the database, so that a long wait
never depends on a message in the broker. A pump that dies leaves leases that expire; the outbox
sweeper then queues a new pump.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone

from exchange.choices import OPEN_DELIVERY_STATES, Channel, DeliveryState, EventType, MemberStatus
from exchange.errors import Conflict, NotFound, ValidationFailed
from exchange.models import Delivery, DeliveryAttempt, Event, Member, User, WebhookEndpoint
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.delivery_log import delivery_attempts_log
from exchange.transports.base import Message, Outcome, short_error
from exchange.transports.email import EmailMessage, EmailTransport
from exchange.transports.webhook import (
    CONNECTIONS_PER_ORIGIN,
    RESPONSE_BODY_LIMIT,
    WebhookMessage,
    WebhookTransport,
    origin_of,
    webhook_session,
)

logger = logging.getLogger(__name__)

PUMP_MAX_SECONDS = 60.0
CLAIM_BATCH = 200
CLAIM_WINDOW = 10  # a claim of n ranks at most the first 10 n due deliveries
RECORD_BATCH = 100
RECORD_DELAY = 0.1
EMAIL_CONCURRENCY = 4
EMAIL_KEY = "email"


# --- rendering (once per event) -------------------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def webhook_body(event: Event) -> str:
    """`{"type", "timestamp", "data": {"event_id", "sequence", ...the object...}}`, compact JSON."""
    data: dict[str, Any] = {"event_id": str(event.pk), "sequence": event.sequence}
    payload = event.payload if isinstance(event.payload, dict) else {}
    data.update({key: value for key, value in payload.items() if key not in data})
    body = {"type": event.type, "timestamp": _iso(event.created_at), "data": data}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def email_content(event: Event) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the e-mail for one event (the same for every recipient)."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    try:
        label = EventType(event.type).label
    except ValueError:
        label = event.type
    title = str(payload.get("title") or payload.get("reference") or f"{event.object_type} {event.object_id}")
    context = {
        "event": event,
        "label": label,
        "title": title,
        "payload": payload,
        "details": [
            (name, payload[key])
            for key, name in (
                ("reference", "Reference"), ("publisher", "Published by"), ("severity", "Severity"),
                ("alert_type", "Type"), ("status", "Status"), ("summary", "Summary"),
                ("recommended_actions", "Recommended actions"), ("disabled_reason", "Reason"),
                ("url", "URL"),
            )
            if payload.get(key) not in (None, "", [])
        ],
    }
    subject = " ".join(f"[AI Safety Alert Exchange] {label}: {title}".split())[:250]
    text = render_to_string("exchange/email/event.txt", context)
    html = render_to_string("exchange/email/event.html", context)
    return subject, text, html


@dataclass
class RenderedEvent:
    event: Event
    body: str
    email: tuple[str, str, str] | None = None


# --- retry schedule ---------------------------------------------------------------------------------


def retry_delay(position: int) -> float | None:
    """Seconds to wait before attempt number `position` (0-based) of a (re)scheduled delivery,
    with ±10 % jitter so that many failed deliveries do not return at the same instant; None
    when the schedule is exhausted."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if position >= len(schedule):
        return None
    base = float(schedule[position])
    return base * random.uniform(0.9, 1.1) if base > 0 else 0.0


def first_attempt_at(now: datetime) -> datetime:
    return now + timedelta(seconds=retry_delay(0) or 0.0)


# --- claiming ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Claimed:
    """A leased delivery with what sending it needs: its target as the claim read it."""

    id: uuid.UUID
    event_id: uuid.UUID
    member_id: int
    channel: str
    endpoint_id: uuid.UUID | None
    email: str
    attempt_count: int
    schedule_position: int
    _: KW_ONLY
    member_active: bool = True
    url: str = ""
    endpoint_enabled: bool = False
    secrets: tuple[str, ...] = ()  # the current secret, and the previous one during its overlap

    @property
    def concurrency_key(self) -> str:
        return str(self.endpoint_id) if self.endpoint_id else EMAIL_KEY


_CLAIM_FIELDS = (
    "id", "event_id", "member_id", "channel", "endpoint_id", "email", "attempt_count", "schedule_position",
)
# The SQL spells the open states as the partial due index's condition does, so the planner uses it.
assert {DeliveryState.PENDING, DeliveryState.RETRYING} == set(OPEN_DELIVERY_STATES)

# What sending a leased delivery `c` needs: its row, whether its member is active, its endpoint's URL
# and secrets (the previous one during its overlap).
_TARGETS_SQL = """
SELECT c.id, c.event_id, c.member_id, c.channel, c.endpoint_id, c.email, c.attempt_count,
       c.schedule_position, m.status = %(active)s, COALESCE(e.url, ''), COALESCE(e.enabled, false),
       COALESCE(e.secret, ''),
       CASE WHEN e.previous_secret <> '' AND e.previous_secret_expires_at > %(now)s
            THEN e.previous_secret ELSE '' END
FROM {source} c JOIN exchange_member m ON m.id = c.member_id
LEFT JOIN exchange_webhookendpoint e ON e.id = c.endpoint_id
"""

# PostgreSQL: one statement ranks the first due rows per endpoint, locks those still free (SKIP
# LOCKED), leases them and returns them with their endpoint's URL and secrets and whether their
# member is active — no id list travels to the database and back.
_CLAIM_SQL = """
WITH due AS (
    SELECT id, channel, endpoint_id, next_attempt_at FROM exchange_delivery
    WHERE state IN ('pending', 'retrying') AND next_attempt_at <= %(now)s
      AND (lease_until IS NULL OR lease_until < %(now)s) {exclude}
    ORDER BY next_attempt_at LIMIT %(window)s
), ranked AS (
    SELECT id, next_attempt_at,
           row_number() OVER (PARTITION BY channel, endpoint_id ORDER BY next_attempt_at) AS rank
    FROM due
), picked AS (
    -- The candidates go to the locking scan as an array of ids, so that it stays a primary-key
    -- lookup whatever the planner believes about a table fan-out has just filled; the limit applies
    -- after SKIP LOCKED, so that two pumps claiming at once take the next free rows, not nothing.
    SELECT d.id FROM exchange_delivery d
    WHERE d.id = ANY(ARRAY(SELECT id FROM ranked WHERE rank <= %(per_target)s))
      AND d.state IN ('pending', 'retrying') AND d.next_attempt_at <= %(now)s
      AND (d.lease_until IS NULL OR d.lease_until < %(now)s)
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
# PostgreSQL: the deliveries fan-out wrote already leased to a pump, read (not updated) by that pump.
_ADOPT_SQL = _TARGETS_SQL.replace("{source}", "exchange_delivery") + """
WHERE c.event_id = %(event)s AND c.lease_token = %(token)s AND c.lease_until > %(now)s
  AND c.state IN ('pending', 'retrying')
ORDER BY c.next_attempt_at
"""


def _due(now: datetime) -> Any:
    return Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES, next_attempt_at__lte=now).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def _uuid_list(values: Iterable[Any]) -> str:
    """Ids as one text parameter (`string_to_array(%s, ',')::uuid[]`): binding a long list of
    UUIDs one by one costs the client more CPU than the whole statement costs the server."""
    return ",".join(str(value) for value in values)


def deliveries_claim(
    *,
    token: uuid.UUID,
    limit: int,
    exclude_endpoints: Iterable[str] = (),
    exclude_email: bool = False,
    per_target: int = 8,
) -> list[Claimed]:
    """Atomically lease up to `limit` due deliveries, oldest due first, at most `per_target` of any
    one endpoint (and of e-mail), so that one endpoint's backlog never fills a claim.

    The candidates are ranked per endpoint among the first due rows (a bounded window, read
    through the due index); the candidates still free are then locked with SKIP LOCKED, where the
    database has it, and leased.
    """
    now = timezone.now()
    excluded = list(exclude_endpoints)
    until = now + timedelta(seconds=settings.DELIVERY_LEASE_HOLD_SECONDS)
    if connection.vendor == "postgresql":
        exclude = ""
        if excluded:
            exclude += "AND (endpoint_id IS NULL OR NOT endpoint_id = ANY(string_to_array(%(excluded)s, ',')::uuid[]))"
        if exclude_email:
            exclude += f" AND channel <> '{Channel.EMAIL}'"
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL.replace("{exclude}", exclude), {
                "now": now, "window": limit * CLAIM_WINDOW, "per_target": per_target, "limit": limit,
                "until": until, "token": token, "excluded": _uuid_list(excluded), "active": MemberStatus.ACTIVE,
            })
            return _claimed(cursor.fetchall())
    return _claim_portable(now=now, until=until, token=token, limit=limit, excluded=excluded,
                           exclude_email=exclude_email, per_target=per_target)


def _claimed(rows: Iterable[tuple[Any, ...]]) -> list[Claimed]:
    """Claimed deliveries from rows shaped as _TARGETS_SQL selects them."""
    return [
        Claimed(*row[:8], member_active=row[8], url=row[9], endpoint_enabled=row[10],
                secrets=tuple(secret for secret in row[11:13] if secret))
        for row in rows
    ]


def deliveries_adopt(*, token: uuid.UUID, event_id: uuid.UUID) -> list[Claimed]:
    """The deliveries of an event that fan-out wrote leased to `token`, still leased and open."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_ADOPT_SQL, {"event": event_id, "token": token, "now": now, "active": MemberStatus.ACTIVE})
            return _claimed(cursor.fetchall())
    rows = list(
        Delivery.objects.filter(
            event_id=event_id, lease_token=token, lease_until__gt=now, state__in=OPEN_DELIVERY_STATES
        ).order_by("next_attempt_at").values_list(*_CLAIM_FIELDS)
    )
    return _targets_portable(rows, now)


def deliveries_release_adoption(*, event_id: uuid.UUID, lease: uuid.UUID) -> None:
    """Free deliveries written leased to a pump that could not be queued, for any pump to claim."""
    Delivery.objects.filter(event_id=event_id, lease_token=lease).update(lease_until=None, lease_token=None)


def _claim_portable(
    *, now: datetime, until: datetime, token: uuid.UUID, limit: int, excluded: list[str], exclude_email: bool,
    per_target: int,
) -> list[Claimed]:
    """The same claim through the ORM, for databases other than PostgreSQL (SQLite in development)."""
    due = _due(now)
    if excluded:
        due = due.exclude(endpoint_id__in=excluded)
    if exclude_email:
        due = due.exclude(channel=Channel.EMAIL)
    window = due.order_by("next_attempt_at").values("pk")[: limit * CLAIM_WINDOW]
    candidates = list(
        Delivery.objects.filter(pk__in=window)
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("channel"), F("endpoint_id")], order_by=F("next_attempt_at").asc())
        )
        .filter(rank__lte=per_target)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if not candidates:
        return []
    with transaction.atomic():
        qs = _due(now).filter(pk__in=candidates)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.order_by("next_attempt_at").values_list(*_CLAIM_FIELDS))
        if not rows:
            return []
        Delivery.objects.filter(id__in=[row[0] for row in rows]).update(lease_until=until, lease_token=token)
    return _targets_portable(rows, now)


def _targets_portable(rows: list[tuple[Any, ...]], now: datetime) -> list[Claimed]:
    """_TARGETS_SQL through the ORM: leased rows (_CLAIM_FIELDS) with their members and endpoints."""
    endpoints = WebhookEndpoint.objects.in_bulk([row[4] for row in rows if row[4]])
    active = set(
        Member.objects.filter(pk__in={row[2] for row in rows}, status=MemberStatus.ACTIVE).values_list("pk", flat=True)
    )
    claimed = []
    for row in rows:
        endpoint = endpoints.get(row[4]) if row[4] else None
        secrets: tuple[str, ...] = ()
        if endpoint is not None:
            secrets = (endpoint.secret,)
            if (
                endpoint.previous_secret
                and endpoint.previous_secret_expires_at
                and endpoint.previous_secret_expires_at > now
            ):
                secrets += (endpoint.previous_secret,)
        claimed.append(Claimed(
            *row, member_active=row[2] in active, url=endpoint.url if endpoint else "",
            endpoint_enabled=bool(endpoint and endpoint.enabled), secrets=secrets,
        ))
    return claimed


def deliveries_release(*, token: uuid.UUID, ids: list[uuid.UUID]) -> None:
    if ids:
        Delivery.objects.filter(id__in=ids, lease_token=token).update(lease_until=None, lease_token=None)


# --- recording --------------------------------------------------------------------------------------

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


def deliveries_record(*, token: uuid.UUID, results: list[tuple[Claimed, Outcome]]) -> list[uuid.UUID]:
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
                    cursor.execute(_ENDPOINTS_HEALED_SQL, {"ids": _uuid_list(succeeded_endpoints)})
                if still_failing:
                    cursor.execute(_ENDPOINTS_FAILING_SQL, {"ids": _uuid_list(still_failing), "now": now})
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


# --- the pump ---------------------------------------------------------------------------------------


class _Sender:
    """An asyncio event loop in its own thread, sending with one HTTP session for the whole pump.

    The pump hands over each claim as one batch (one wake-up of the loop, not one per message);
    each send is a task, and its outcome goes back through a queue.
    """

    def __init__(self, *, timeout: float, per_endpoint: int) -> None:
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self.results: queue.SimpleQueue[tuple[Claimed, Outcome]] = queue.SimpleQueue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="delivery-sender", daemon=True)
        self.semaphores: dict[str, asyncio.Semaphore] = {}
        self.tasks: set[asyncio.Task[Outcome]] = set()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self.loop).result(timeout=30)

    async def _open(self) -> None:
        self.session = webhook_session(timeout=self.timeout)
        self.webhook = WebhookTransport(session=self.session, timeout=self.timeout)
        self.email = EmailTransport()

    def _semaphore(self, key: str, limit: int) -> asyncio.Semaphore:
        semaphore = self.semaphores.get(key)
        if semaphore is None:
            semaphore = self.semaphores[key] = asyncio.Semaphore(limit)
        return semaphore

    async def _send(self, message: Message) -> Outcome:
        if message.channel == Channel.EMAIL:
            async with self._semaphore(EMAIL_KEY, EMAIL_CONCURRENCY):
                return await self.email.send(message)
        assert isinstance(message, WebhookMessage)
        # The endpoint's cap, then its origin's pool: a send waits here, cheaply, until a connection
        # is free, and only then is signed and built — not inside the HTTP client with the rest of
        # a claim, which would delay the first requests behind the preparation of all of them.
        async with (
            self._semaphore(message.concurrency_key, self.per_endpoint),
            self._semaphore(origin_of(message.url), CONNECTIONS_PER_ORIGIN),
        ):
            return await self.webhook.send(message)

    def _start(self, batch: list[tuple[Claimed, Message]]) -> None:
        for item, message in batch:
            task = self.loop.create_task(self._send(message))
            self.tasks.add(task)
            task.add_done_callback(functools.partial(self._done, item))

    def _done(self, item: Claimed, task: asyncio.Task[Outcome]) -> None:
        self.tasks.discard(task)
        try:
            outcome = task.result()
        except BaseException as exc:  # a bug or a cancellation: an attempt that failed
            outcome = Outcome(timezone.now(), ok=False, error=short_error(f"{type(exc).__name__}: {exc}"))
        self.results.put((item, outcome))

    def submit(self, batch: list[tuple[Claimed, Message]]) -> None:
        if batch:
            self.loop.call_soon_threadsafe(self._start, batch)

    def close(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.session.close(), self.loop).result(timeout=10)
        except Exception:  # closing is best effort: the process may be on its way out
            logger.debug("closing the webhook session failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()


class _Recorder:
    """Records result batches in a thread of its own (with its own database connection), so that
    claiming and sending never wait for recording. A batch that fails to record is logged; its
    deliveries keep their leases, which expire, and are sent again (at least once)."""

    def __init__(self, record: Any) -> None:
        self.record = record
        self.batches: queue.Queue[list[tuple[Claimed, Outcome]] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="delivery-recorder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, batch: list[tuple[Claimed, Outcome]]) -> None:
        self.batches.put(batch)

    def idle(self) -> bool:
        return self.batches.unfinished_tasks == 0

    def _run(self) -> None:
        try:
            while True:
                batch = self.batches.get()
                try:
                    if batch is None:
                        return
                    self.record(batch)
                except Exception:
                    logger.exception("Recording %d delivery results failed; their leases will expire", len(batch or ()))
                finally:
                    self.batches.task_done()
        finally:
            connection.close()  # this thread's own connection

    def close(self) -> None:
        self.batches.put(None)
        self.thread.join(timeout=PUMP_MAX_SECONDS)


@dataclass
class PumpStats:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0


class DeliveryPump:
    def __init__(
        self,
        *,
        max_seconds: float = PUMP_MAX_SECONDS,
        max_in_flight: int | None = None,
        per_endpoint: int | None = None,
        adopt: tuple[str | uuid.UUID, str | uuid.UUID] | None = None,
    ) -> None:
        # `adopt`: (event id, lease) of deliveries fan-out wrote leased to this pump; it sends them first.
        self.adopt = (uuid.UUID(str(adopt[0])), uuid.UUID(str(adopt[1]))) if adopt else None
        self.token = self.adopt[1] if self.adopt else uuid.uuid4()
        self.max_seconds = max_seconds
        self.max_in_flight = max_in_flight or settings.DELIVERY_MAX_IN_FLIGHT
        self.per_endpoint = per_endpoint or settings.WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT
        self.events: dict[uuid.UUID, RenderedEvent] = {}
        self.in_flight: Counter[str] = Counter()
        self.in_flight_total = 0
        self.stats = PumpStats()

    def _limit(self, key: str) -> int:
        return EMAIL_CONCURRENCY if key == EMAIL_KEY else self.per_endpoint

    def _rendered(self, event_ids: Iterable[uuid.UUID]) -> None:
        missing = [pk for pk in set(event_ids) if pk not in self.events]
        for event in Event.objects.filter(pk__in=missing):
            self.events[event.pk] = RenderedEvent(event=event, body=webhook_body(event))

    def _prepare(self, claimed: list[Claimed]) -> tuple[list[tuple[Claimed, Message]], list[tuple[Claimed, Outcome]]]:
        self._rendered(item.event_id for item in claimed)
        now = timezone.now()
        ready: list[tuple[Claimed, Message]] = []
        refused: list[tuple[Claimed, Outcome]] = []
        for item in claimed:
            rendered = self.events.get(item.event_id)
            if rendered is None:
                refused.append((item, Outcome(now, ok=False, permanent=True, error="the event no longer exists")))
                continue
            # A member suspended since fan-out receives nothing more (SPEC §2), retries included.
            if not item.member_active:
                refused.append((item, Outcome(now, ok=False, permanent=True, error="the member is suspended")))
                continue
            if item.channel == Channel.WEBHOOK:
                if not item.endpoint_enabled:
                    refused.append((item, Outcome(now, ok=False, permanent=True, error="the endpoint is disabled")))
                    continue
                message: Message = WebhookMessage(
                    delivery_id=item.id, channel=Channel.WEBHOOK, concurrency_key=item.concurrency_key,
                    url=item.url, body=rendered.body, msg_id=f"msg_{item.id.hex}", secrets=item.secrets,
                )
            else:
                if rendered.email is None:
                    rendered.email = email_content(rendered.event)
                subject, text, html = rendered.email
                message = EmailMessage(
                    delivery_id=item.id, channel=Channel.EMAIL, concurrency_key=EMAIL_KEY, to=item.email,
                    subject=subject, text=text, html=html, message_id=f"msg_{item.id.hex}",
                )
            ready.append((item, message))
        return ready, refused

    def _claim(self) -> list[tuple[Claimed, Message]]:
        free = self.max_in_flight - self.in_flight_total
        if free <= 0:
            return []
        saturated = [key for key, count in self.in_flight.items() if count >= self._limit(key)]
        claimed: list[Claimed] = []
        if self.adopt:
            claimed = deliveries_adopt(token=self.token, event_id=self.adopt[0])
            self.adopt = None
        if not claimed:
            claimed = deliveries_claim(
                token=self.token,
                limit=min(free, CLAIM_BATCH),
                exclude_endpoints=[key for key in saturated if key != EMAIL_KEY],
                exclude_email=EMAIL_KEY in saturated,
                per_target=max(self.per_endpoint, EMAIL_CONCURRENCY),
            )
        if not claimed:
            return []
        # Keep only what can start at once: more for one endpoint than its free slots would wait
        # in this process while its lease runs down. The rest goes back for another claim.
        keep: list[Claimed] = []
        release: list[uuid.UUID] = []
        planned = Counter(self.in_flight)
        for item in claimed:
            key = item.concurrency_key
            if planned[key] < self._limit(key):
                planned[key] += 1
                keep.append(item)
            else:
                release.append(item.id)
        deliveries_release(token=self.token, ids=release)
        ready, refused = self._prepare(keep)
        if refused:
            deliveries_record(token=self.token, results=refused)
            self.stats.failed += len(refused)
        return ready

    def _drain(self, sender: _Sender, wait: float) -> list[tuple[Claimed, Outcome]]:
        drained: list[tuple[Claimed, Outcome]] = []
        try:
            drained.append(sender.results.get(timeout=wait) if wait > 0 else sender.results.get_nowait())
        except queue.Empty:
            return drained
        while True:
            try:
                drained.append(sender.results.get_nowait())
            except queue.Empty:
                break
        for item, outcome in drained:
            self.in_flight_total -= 1
            self.in_flight[item.concurrency_key] -= 1
            if self.in_flight[item.concurrency_key] <= 0:
                del self.in_flight[item.concurrency_key]
            if outcome.ok:
                self.stats.succeeded += 1
            else:
                self.stats.failed += 1
        return drained

    def _record(self, results: list[tuple[Claimed, Outcome]]) -> None:
        gone = deliveries_record(token=self.token, results=results)
        delivery_attempts_log(results)
        if gone:
            from exchange.services.endpoints import endpoint_disable

            for endpoint_id in gone:
                endpoint_disable(endpoint_id=endpoint_id, reason="The receiver answered 410 Gone.")

    def run(self) -> PumpStats:
        """Claim, send and record until nothing is due, nothing is in flight and nothing is unrecorded.

        Database work is batched so that it stays a small fraction of the sending: results are
        recorded RECORD_BATCH at a time (or after RECORD_DELAY) by the recorder thread, and new
        work is claimed when half the slots are free (or when nothing is in flight).
        """
        sender = _Sender(timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS), per_endpoint=self.per_endpoint)
        sender.start()
        # Recording runs beside claiming, on a connection of its own — unless the caller holds a
        # transaction (tests), whose rows another connection could not see: then it runs here.
        recorder = None if connection.in_atomic_block else _Recorder(self._record)
        if recorder is not None:
            recorder.start()
        record = recorder.submit if recorder is not None else self._record
        deadline = time.monotonic() + self.max_seconds
        # Claim when half the slots are free: fewer, larger claims (each costs a round trip and a
        # scan of the due window), while the other half keeps the connections busy meanwhile.
        claim_threshold = max(1, self.max_in_flight // 2)
        next_claim_at = 0.0
        unrecorded: list[tuple[Claimed, Outcome]] = []
        oldest_unrecorded = 0.0
        try:
            while True:
                now = time.monotonic()
                in_flight = self.in_flight_total
                free = self.max_in_flight - in_flight
                claiming = now < deadline and now >= next_claim_at and (free >= claim_threshold or in_flight == 0)
                drained = self._drain(sender, 0.0 if claiming else (RECORD_DELAY / 2 if in_flight else 0.0))
                if drained:
                    if not unrecorded:
                        oldest_unrecorded = time.monotonic()
                    unrecorded.extend(drained)
                    next_claim_at = 0.0  # slots were freed: look for more work now
                if unrecorded and (
                    len(unrecorded) >= RECORD_BATCH
                    or not self.in_flight
                    or time.monotonic() - oldest_unrecorded >= RECORD_DELAY
                ):
                    record(unrecorded)
                    unrecorded = []
                ready: list[tuple[Claimed, Message]] = []
                if claiming:
                    ready = self._claim()
                    for item, _message in ready:
                        self.in_flight[item.concurrency_key] += 1
                    self.in_flight_total += len(ready)
                    sender.submit(ready)
                    self.stats.sent += len(ready)
                    if not ready:
                        next_claim_at = time.monotonic() + 0.5
                if not ready and not drained and not self.in_flight and not unrecorded:
                    if recorder is not None and not recorder.idle():
                        time.sleep(0.01)  # what is being recorded may be due again at once
                        continue
                    if time.monotonic() >= deadline or not _due(timezone.now()).exists():
                        break
                    time.sleep(max(0.0, min(0.5, next_claim_at - time.monotonic())))
        finally:
            if unrecorded:
                record(unrecorded)
            if recorder is not None:
                recorder.close()
            sender.close()
        return self.stats


def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the earliest unleased open delivery is due (0 if one is due now), or None."""
    now = now or timezone.now()
    earliest = (
        Delivery.objects.filter(state__in=OPEN_DELIVERY_STATES)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .aggregate(at=Min("next_attempt_at"))["at"]
    )
    if earliest is None:
        return None
    return max(0.0, (earliest - now).total_seconds())


# --- members' actions: read, re-send ------------------------------------------------------------------


def delivery_get(*, member: Member, delivery_id: Any) -> Delivery:
    """One of the member's own deliveries; another member's is not found (404)."""
    try:
        return Delivery.objects.get(member=member, pk=delivery_id)
    except (Delivery.DoesNotExist, ValueError, DjangoValidationError) as exc:
        raise NotFound("No such delivery.") from exc


def _delivery_state(delivery: Delivery) -> dict[str, Any]:
    return {
        "event": str(delivery.event_id), "channel": delivery.channel,
        "endpoint": str(delivery.endpoint_id) if delivery.endpoint_id else None,
        "email": delivery.email, "state": delivery.state, "attempt_count": delivery.attempt_count,
    }


@audited_write
def delivery_redeliver(*, actor: User | None, delivery: Delivery) -> Delivery:
    """Send one delivery again, at once, with a fresh retry schedule and the same webhook-id."""
    delivery = Delivery.objects.select_for_update(of=("self",)).get(pk=delivery.pk)
    if delivery.endpoint is not None and not delivery.endpoint.enabled:
        raise Conflict(
            "The webhook endpoint is disabled; enable it before re-sending its deliveries.",
            errors={"endpoint": ["disabled"]},
        )
    before = _delivery_state(delivery)
    now = timezone.now()
    delivery.state = DeliveryState.PENDING
    delivery.schedule_position = 0
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.lease_token = None
    delivery.save(update_fields=["state", "schedule_position", "next_attempt_at", "lease_until", "lease_token"])
    audit_record(
        actor=actor, action="delivery.redelivered", object_type="delivery", object_id=delivery.pk,
        before=before, after=_delivery_state(delivery), member_code=delivery.member.code,
    )
    _kick_on_commit()
    return delivery


@audited_write
def deliveries_recover(*, actor: User | None, endpoint: WebhookEndpoint, since: datetime) -> int:
    """Re-send every failed delivery of the endpoint created at or after `since`; returns how many."""
    if timezone.is_naive(since):
        raise ValidationFailed("since: give a time zone (e.g. 2026-05-01T00:00:00Z).", errors={"since": ["naive"]})
    endpoint = WebhookEndpoint.objects.select_related("member").get(pk=endpoint.pk)
    if not endpoint.enabled:
        raise Conflict(
            "The webhook endpoint is disabled; enable it before recovering its deliveries.",
            errors={"endpoint": ["disabled"]},
        )
    now = timezone.now()
    count = Delivery.objects.filter(
        endpoint=endpoint, state=DeliveryState.FAILED, created_at__gte=since
    ).update(state=DeliveryState.PENDING, schedule_position=0, next_attempt_at=now, lease_until=None, lease_token=None)
    audit_record(
        actor=actor, action="webhook_endpoint.recovered", object_type="webhook_endpoint", object_id=endpoint.pk,
        after={"since": since, "deliveries": count}, member_code=endpoint.member.code,
    )
    if count:
        _kick_on_commit(count)
    return count


def _kick_on_commit(count: int = 1) -> None:
    from exchange import tasks

    transaction.on_commit(lambda: tasks.deliveries_kick(deliveries=count))
