"""The pump's sending step: one asyncio event loop in its own thread, with one HTTP session for the
whole pump, sending each claim's webhooks and e-mails concurrently within their caps."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass, field

from django.utils import timezone

from exchange.choices import Channel
from exchange.services.deliveries.claims import EMAIL_KEY, LeasedDelivery
from exchange.transports.base import Message, Outcome, short_error
from exchange.transports.email import EmailTransport
from exchange.transports.webhook import (
    CONNECTIONS_PER_ORIGIN,
    WebhookMessage,
    WebhookTransport,
    origin_of,
    webhook_session,
)

logger = logging.getLogger(__name__)

EMAIL_CONCURRENCY = 4


@dataclass(slots=True)
class _Lane:
    """The messages waiting for one origin's connections (or for the e-mail server), and how many
    senders work through them: at most `limit`, each sending one message after another."""

    limit: int
    waiting: deque[tuple[LeasedDelivery, Message]] = field(default_factory=deque)
    senders: int = 0


class Sender:
    """An asyncio event loop in its own thread, sending with one HTTP session for the whole pump.

    The pump hands over each claim as one batch (one wake-up of the loop, not one per message).
    Messages queue per origin (scheme, host, port) — its keep-alive pool — and at most
    CONNECTIONS_PER_ORIGIN senders per origin (EMAIL_CONCURRENCY for e-mail) take them one after
    another, so that a message is signed and built only when a connection is free for it, and a
    claim of 200 costs a few tasks rather than 200 tasks waiting on a semaphore. Each endpoint's
    own cap (WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT) is kept by the pump, which never hands over
    more of one endpoint's deliveries than it has free slots (DeliveryPump._claim). Each outcome
    goes back through a queue.
    """

    def __init__(self, *, timeout: float, connections_per_origin: int = CONNECTIONS_PER_ORIGIN) -> None:
        self.timeout = timeout
        self.connections_per_origin = connections_per_origin
        self.results: queue.SimpleQueue[tuple[LeasedDelivery, Outcome]] = queue.SimpleQueue()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="delivery-sender", daemon=True)
        self.lanes: dict[str, _Lane] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self.loop).result(timeout=30)

    async def _open(self) -> None:
        self.session = webhook_session(timeout=self.timeout, connections_per_origin=self.connections_per_origin)
        self.webhook = WebhookTransport(session=self.session, timeout=self.timeout)
        self.email = EmailTransport()

    def _lane(self, message: Message) -> _Lane:
        if message.channel == Channel.EMAIL:
            key, limit = EMAIL_KEY, EMAIL_CONCURRENCY
        else:
            assert isinstance(message, WebhookMessage)
            key, limit = origin_of(message.url), self.connections_per_origin
        lane = self.lanes.get(key)
        if lane is None:
            lane = self.lanes[key] = _Lane(limit)
        return lane

    def _start(self, batch: list[tuple[LeasedDelivery, Message]]) -> None:
        for item, message in batch:
            lane = self._lane(message)
            lane.waiting.append((item, message))
            if lane.senders < lane.limit:
                lane.senders += 1
                task = self.loop.create_task(self._work(lane))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _work(self, lane: _Lane) -> None:
        """Send the lane's messages one after another until none is waiting."""
        try:
            while lane.waiting:
                item, message = lane.waiting.popleft()
                try:
                    if message.channel == Channel.EMAIL:
                        outcome = await self.email.send(message)
                    else:
                        outcome = await self.webhook.send(message)
                except asyncio.CancelledError:
                    self.results.put((item, Outcome(timezone.now(), ok=False, error="the send was cancelled")))
                    raise
                except Exception as exc:  # a bug: an attempt that failed, never a lost result
                    outcome = Outcome(timezone.now(), ok=False, error=short_error(f"{type(exc).__name__}: {exc}"))
                self.results.put((item, outcome))
        finally:
            lane.senders -= 1

    def submit(self, batch: list[tuple[LeasedDelivery, Message]]) -> None:
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
