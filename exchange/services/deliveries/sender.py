"""The pump's sending step: one asyncio event loop in its own thread, with one HTTP session for the
whole pump, sending each claim's webhooks and e-mails concurrently within their caps."""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading

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


class Sender:
    """An asyncio event loop in its own thread, sending with one HTTP session for the whole pump.

    The pump hands over each claim as one batch (one wake-up of the loop, not one per message);
    each send is a task, and its outcome goes back through a queue.
    """

    def __init__(self, *, timeout: float, per_endpoint: int) -> None:
        self.timeout = timeout
        self.per_endpoint = per_endpoint
        self.results: queue.SimpleQueue[tuple[LeasedDelivery, Outcome]] = queue.SimpleQueue()
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

    def _start(self, batch: list[tuple[LeasedDelivery, Message]]) -> None:
        for item, message in batch:
            task = self.loop.create_task(self._send(message))
            self.tasks.add(task)
            task.add_done_callback(functools.partial(self._done, item))

    def _done(self, item: LeasedDelivery, task: asyncio.Task[Outcome]) -> None:
        self.tasks.discard(task)
        try:
            outcome = task.result()
        except BaseException as exc:  # a bug or a cancellation: an attempt that failed
            outcome = Outcome(timezone.now(), ok=False, error=short_error(f"{type(exc).__name__}: {exc}"))
        self.results.put((item, outcome))

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
