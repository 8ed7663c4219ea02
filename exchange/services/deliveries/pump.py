"""The delivery pump: claim, send concurrently (exchange.services.deliveries.sender), record — one per
Celery task."""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from exchange.choices import Channel
from exchange.models import Event
from exchange.services.deliveries.claims import (
    CLAIM_BATCH,
    EMAIL_KEY,
    LeasedDelivery,
    deliveries_adopt,
    deliveries_claim,
    deliveries_release,
    due,
)
from exchange.services.deliveries.recorder import Recorder
from exchange.services.deliveries.recording import deliveries_record
from exchange.services.deliveries.rendering import (
    RenderedEvent,
    personal_contents,
    shared_mailbox_email,
)
from exchange.services.deliveries.sender import EMAIL_CONCURRENCY, Sender
from exchange.services.delivery_log import delivery_attempts_log
from exchange.transports.base import Message, Outcome
from exchange.transports.email import EmailMessage
from exchange.transports.webhook import WebhookMessage

logger = logging.getLogger(__name__)

PUMP_MAX_SECONDS = 60.0
RECORD_BATCH = 100
RECORD_DELAY = 0.1
DRAIN_PAUSE = 0.005


@dataclass
class PumpStats:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0


@dataclass
class _Loop:
    """The pump's bookkeeping between rounds: when to claim next, and the results not yet recorded."""

    record: Callable[[list[tuple[LeasedDelivery, Outcome]]], None]
    deadline: float
    claim_threshold: int
    next_claim_at: float = 0.0
    unrecorded: list[tuple[LeasedDelivery, Outcome]] = field(default_factory=list)
    oldest_unrecorded: float = 0.0

    def collect(self, drained: list[tuple[LeasedDelivery, Outcome]]) -> None:
        if not drained:
            return
        if not self.unrecorded:
            self.oldest_unrecorded = time.monotonic()
        self.unrecorded.extend(drained)
        self.next_claim_at = 0.0  # slots were freed: look for more work now

    def record_if_due(self, *, idle: bool) -> None:
        if self.unrecorded and (
            len(self.unrecorded) >= RECORD_BATCH or idle or time.monotonic() - self.oldest_unrecorded >= RECORD_DELAY
        ):
            self.flush()

    def flush(self) -> None:
        if self.unrecorded:
            self.record(self.unrecorded)
            self.unrecorded = []


class DeliveryPump:
    def __init__(
        self,
        *,
        max_seconds: float = PUMP_MAX_SECONDS,
        max_in_flight: int | None = None,
        per_endpoint: int | None = None,
        adopt: tuple[str | uuid.UUID, str | uuid.UUID] | None = None,
        in_worker: bool = False,
    ) -> None:
        # `in_worker`: run by a worker process, which keeps its database connections between tasks.
        self.in_worker = in_worker
        # `adopt`: (event id, lease) of deliveries fan-out wrote leased to this pump; it sends them first.
        self.adopt = (uuid.UUID(str(adopt[0])), uuid.UUID(str(adopt[1]))) if adopt else None
        self.token = self.adopt[1] if self.adopt else uuid.uuid4()
        self.max_seconds = max_seconds
        self.max_in_flight = max_in_flight or settings.DELIVERY_MAX_IN_FLIGHT
        self.per_endpoint = per_endpoint or settings.WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT
        self.events: dict[uuid.UUID, RenderedEvent] = {}
        # A subscription mailbox's e-mail, told for its member: (event id, member id) -> content or None.
        self.mailbox_emails: dict[tuple[uuid.UUID, int], tuple[str, str, str] | None] = {}
        self.in_flight: Counter[str] = Counter()
        self.in_flight_total = 0
        self.stats = PumpStats()

    def _limit(self, key: str) -> int:
        return EMAIL_CONCURRENCY if key == EMAIL_KEY else self.per_endpoint

    def _render_missing(self, event_ids: Iterable[uuid.UUID | None]) -> None:
        missing = [pk for pk in set(event_ids) if pk is not None and pk not in self.events]
        if not missing:  # every claim after a pump's first: no queryset to build
            return
        for event in Event.objects.filter(pk__in=missing):
            self.events[event.pk] = RenderedEvent.of(event)

    def _prepare(self, claimed: list[LeasedDelivery]) -> tuple[list[tuple[LeasedDelivery, Message]], list[tuple[LeasedDelivery, Outcome]]]:
        self._render_missing(item.event_id for item in claimed)
        personal = personal_contents([item.id for item in claimed if item.event_id is None])
        now = timezone.now()
        ready: list[tuple[LeasedDelivery, Message]] = []
        refused: list[tuple[LeasedDelivery, Outcome]] = []
        for item in claimed:
            if item.event_id is None:  # an e-mail to one person, written once (exchange.services.mail)
                content = personal.get(item.id)
                if content is None or not item.member_active:
                    error = "the member is suspended" if content else "the e-mail no longer exists"
                    refused.append((item, Outcome(now, ok=False, permanent=True, error=error)))
                    continue
                ready.append((item, EmailMessage(
                    delivery_id=item.id, channel=Channel.EMAIL, concurrency_key=EMAIL_KEY, to=item.email,
                    subject=content[0], text=content[1], html=content[2], message_id=f"msg_{item.id.hex}",
                )))
                continue
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
                if item.sequence is None:  # never numbered in the member's feed: not the member's to see
                    refused.append((item, Outcome(now, ok=False, permanent=True, error="the event is not in the member's feed")))
                    continue
                message: Message = WebhookMessage(
                    delivery_id=item.id, channel=Channel.WEBHOOK, concurrency_key=item.concurrency_key,
                    url=item.url, body=rendered.body_for(item.sequence), msg_id=f"msg_{item.id.hex}",
                    secrets=item.secrets,
                )
            else:
                key = (item.event_id, item.member_id)
                if key not in self.mailbox_emails:
                    self.mailbox_emails[key] = shared_mailbox_email(rendered.event, item.member_id)
                content = self.mailbox_emails[key]
                if content is None:
                    refused.append((item, Outcome(now, ok=False, permanent=True,
                                                  error="the member may no longer see it")))
                    continue
                subject, text, html = content
                message = EmailMessage(
                    delivery_id=item.id, channel=Channel.EMAIL, concurrency_key=EMAIL_KEY, to=item.email,
                    subject=subject, text=text, html=html, message_id=f"msg_{item.id.hex}",
                )
            ready.append((item, message))
        return ready, refused

    def _claim(self) -> list[tuple[LeasedDelivery, Message]]:
        free = self.max_in_flight - self.in_flight_total
        if free <= 0:
            return []
        saturated = [key for key, count in self.in_flight.items() if count >= self._limit(key)]
        claimed: list[LeasedDelivery] = []
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
        keep: list[LeasedDelivery] = []
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

    def _drain(self, sender: Sender, wait: float) -> list[tuple[LeasedDelivery, Outcome]]:
        drained: list[tuple[LeasedDelivery, Outcome]] = []
        try:
            drained.append(sender.results.get(timeout=wait) if wait > 0 else sender.results.get_nowait())
        except queue.Empty:
            return drained
        if wait > 0:
            # Woken by one result: let a few milliseconds' worth gather before taking them, rather
            # than waking (and taking the GIL from the event loop) once per result.
            time.sleep(DRAIN_PAUSE)
        while True:
            try:
                drained.append(sender.results.get_nowait())
            except queue.Empty:
                break
        for item, outcome in drained:
            self.in_flight_total -= 1
            key = item.concurrency_key
            self.in_flight[key] -= 1
            if self.in_flight[key] <= 0:
                del self.in_flight[key]
            if outcome.ok:
                self.stats.succeeded += 1
            else:
                self.stats.failed += 1
        return drained

    def _request_ids(self, results: list[tuple[LeasedDelivery, Outcome]]) -> dict[uuid.UUID, str]:
        """The request ids of the events this pump rendered (no query for the log). Runs in the
        recorder thread while the pump may add events: single lookups only, never an iteration."""
        found: dict[uuid.UUID, str] = {}
        for item, _ in results:
            rendered = self.events.get(item.event_id) if item.event_id is not None else None
            if rendered is not None:
                found[rendered.event.pk] = rendered.event.request_id
        return found

    def _record(self, results: list[tuple[LeasedDelivery, Outcome]]) -> None:
        gone = deliveries_record(token=self.token, results=results)
        delivery_attempts_log(results, request_ids=self._request_ids(results))
        if gone:
            from exchange.services.endpoints import endpoint_disable

            for endpoint_id in gone:
                endpoint_disable(endpoint_id=endpoint_id, reason="The receiver answered 410 Gone.")

    def _round(self, sender: Sender, recorder: Recorder | None, loop: _Loop) -> bool:
        """Take results, record what is due, claim more; False once nothing is left to do."""
        now = time.monotonic()
        in_flight = self.in_flight_total
        free = self.max_in_flight - in_flight
        claiming = now < loop.deadline and now >= loop.next_claim_at and (free >= loop.claim_threshold or in_flight == 0)
        drained = self._drain(sender, 0.0 if claiming else (RECORD_DELAY / 2 if in_flight else 0.0))
        loop.collect(drained)
        loop.record_if_due(idle=not self.in_flight)
        ready = self._claim_and_submit(sender, loop) if claiming else []
        if ready or drained or self.in_flight or loop.unrecorded:
            return True
        return self._wait_for_work(recorder, loop)

    def _claim_and_submit(self, sender: Sender, loop: _Loop) -> list[tuple[LeasedDelivery, Message]]:
        ready = self._claim()
        for item, _message in ready:
            self.in_flight[item.concurrency_key] += 1
        self.in_flight_total += len(ready)
        sender.submit(ready)
        self.stats.sent += len(ready)
        if not ready:
            loop.next_claim_at = time.monotonic() + 0.5
        return ready

    def _wait_for_work(self, recorder: Recorder | None, loop: _Loop) -> bool:
        """Nothing in flight or unrecorded: wait for the recorder or the next due delivery; False when done."""
        if recorder is not None and not recorder.idle():
            time.sleep(0.01)  # what is being recorded may be due again at once
            return True
        if time.monotonic() >= loop.deadline or not due(timezone.now()).exists():
            return False
        time.sleep(max(0.0, min(0.5, loop.next_claim_at - time.monotonic())))
        return True

    def run(self) -> PumpStats:
        """Claim, send and record until nothing is due, nothing is in flight and nothing is unrecorded.

        Database work is batched so that it stays a small fraction of the sending: results are
        recorded RECORD_BATCH at a time (or after RECORD_DELAY) by the recorder thread, and new
        work is claimed when half the slots are free (or when nothing is in flight).
        """
        sender = Sender(timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS))
        sender.start()
        # Recording runs beside claiming, on a connection of its own — unless the caller holds a
        # transaction (tests), whose rows another connection could not see: then it runs here.
        recorder = None if connection.in_atomic_block else Recorder(self._record, keep_connection=self.in_worker)
        if recorder is not None:
            recorder.start()
        # Claim when half the slots are free: fewer, larger claims (each costs a round trip and a
        # scan of the due window), while the other half keeps the connections busy meanwhile.
        loop = _Loop(
            record=recorder.submit if recorder is not None else self._record,
            deadline=time.monotonic() + self.max_seconds,
            claim_threshold=max(1, self.max_in_flight // 2),
        )
        try:
            while self._round(sender, recorder, loop):
                pass
        finally:
            loop.flush()
            if recorder is not None:
                recorder.close(timeout=PUMP_MAX_SECONDS)
            sender.close()
        return self.stats
