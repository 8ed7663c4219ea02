"""E-mail transport: one message (plain text and HTML) per recipient, through Django's mail framework.

Django's backends are synchronous; each send runs in a thread so that e-mails share the
concurrent pipeline with webhooks. A recipient the server refuses is a permanent failure.
"""

from __future__ import annotations

import asyncio
import smtplib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from exchange.transports.base import Message, Outcome, short_error


@dataclass(frozen=True)
class EmailMessage(Message):
    to: str
    subject: str
    text: str
    html: str
    message_id: str


def _message_id(delivery_id: uuid.UUID) -> str:
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "exchange.invalid"
    return f"<{delivery_id.hex}@{domain}>"


def _send(message: EmailMessage) -> None:
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        # One Message-ID per delivery, the same on every retry: a copy sent again after a worker died
        # between sending and recording is the same message to the recipient's mail system.
        headers={"X-Exchange-Delivery": message.message_id, "Message-ID": _message_id(message.delivery_id)},
    )
    mail.attach_alternative(message.html, "text/html")
    mail.send(fail_silently=False)


class EmailTransport:
    channel = "email"

    async def send(self, message: Message) -> Outcome:
        assert isinstance(message, EmailMessage)
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            await asyncio.to_thread(_send, message)
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(started_at, ok=False, permanent=True, duration_ms=int((time.perf_counter() - started) * 1000),
                           error=short_error(f"recipient refused: {exc}"))
        except Exception as exc:  # any other mail failure is worth a retry
            return Outcome(started_at, ok=False, duration_ms=int((time.perf_counter() - started) * 1000),
                           error=short_error(f"{type(exc).__name__}: {exc}"))
        return Outcome(started_at, ok=True, duration_ms=int((time.perf_counter() - started) * 1000))
