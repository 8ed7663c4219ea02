"""Webhook transport: one signed POST (Standard Webhooks), never following redirects.

Many sends run concurrently on one `aiohttp.ClientSession` per pump, whose connector keeps one
keep-alive pool per origin (at most WEBHOOK_CONNECTIONS_PER_ORIGIN connections each) and
connects only to addresses checked at connect time (`GuardedResolver`; literal addresses are
checked before the request). The whole attempt — resolving, connecting, sending and reading the
first bytes of the answer — must finish within WEBHOOK_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

import aiohttp
from yarl import URL

from exchange.netguard import GuardedResolver, UnsafeDestination, literal_address_check
from exchange.signing import signature_header
from exchange.transports.base import Message, Outcome, short_error

USER_AGENT = "AI-Safety-Alert-Exchange-Webhooks/1.0"
RESPONSE_BODY_LIMIT = 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600
# Connections kept per origin (scheme, host, port). Endpoints are usually one per origin; when many
# share one (a platform's ingestion host), this bounds what we open to it: beyond a few dozen
# concurrent connections a small server gets slower, not faster. Each endpoint is capped lower
# still (WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT), so one slow endpoint holds only a few of them.
CONNECTIONS_PER_ORIGIN = 32


@dataclass(frozen=True)
class WebhookMessage(Message):
    url: str
    body: str  # rendered once per event: the same object for every delivery of the event
    msg_id: str
    secrets: tuple[str, ...]


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER_SECONDS))
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    seconds = (at - (now or datetime.now(UTC))).total_seconds()
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS))


@lru_cache(maxsize=8192)
def _target(url: str) -> tuple[URL, str]:
    """The parsed URL (aiohttp would parse the string on every request) and its host."""
    parsed = URL(url)
    return parsed, (parsed.host or "").rstrip(".")


@lru_cache(maxsize=8192)
def origin_of(url: str) -> str:
    """scheme://host:port of a URL: the key of its connection pool (CONNECTIONS_PER_ORIGIN)."""
    return str(_target(url)[0].origin())


@lru_cache(maxsize=64)
def _encoded(body: str) -> bytes:
    return body.encode()


def webhook_session(*, timeout: float, connections_per_origin: int = CONNECTIONS_PER_ORIGIN) -> aiohttp.ClientSession:
    """One session for a pump: keep-alive pools per origin, checked addresses, no redirects."""
    connector = aiohttp.TCPConnector(
        limit=0,  # the pump bounds what is in flight; the connector only bounds each origin
        limit_per_host=connections_per_origin,
        resolver=GuardedResolver(),
        use_dns_cache=False,  # every new connection is resolved and checked again
        ssl=True,  # aiohttp's verifying context, loaded once when it is imported
        keepalive_timeout=30.0,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"user-agent": USER_AGENT},
        auto_decompress=False,
        trust_env=False,
        # Cookies a receiver sets must never reach another endpoint (another member) on its host.
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class WebhookTransport:
    channel = "webhook"

    def __init__(self, *, session: aiohttp.ClientSession, timeout: float) -> None:
        self.session = session
        self.timeout = timeout

    async def send(self, message: Message) -> Outcome:
        assert isinstance(message, WebhookMessage)
        started_at = datetime.now(UTC)
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message.msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                secrets=list(message.secrets), msg_id=message.msg_id, timestamp=timestamp, body=_encoded(message.body)
            ),
        }
        try:
            # The session's total timeout (WEBHOOK_TIMEOUT_SECONDS) bounds the whole attempt: waiting
            # for a pooled connection, resolving, connecting, sending and reading the capped answer.
            url, host = _target(message.url)
            literal_address_check(host)
            async with self.session.post(
                url, data=_encoded(message.body), headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                location = response.headers.get("location", "")
                retry_after = response.headers.get("retry-after")
                body = b""
                while len(body) < RESPONSE_BODY_LIMIT:
                    chunk = await response.content.read(RESPONSE_BODY_LIMIT - len(body))
                    if not chunk:
                        break
                    body += chunk
        except TimeoutError:
            return Outcome(started_at, ok=False, duration_ms=elapsed(),
                           error=f"timed out after {self.timeout:g} s")
        except UnsafeDestination as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(), error=short_error(f"refused: {exc}"))
        except aiohttp.ClientError as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(),
                           error=short_error(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__))
        except OSError as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(), error=short_error(f"network error: {exc}"))
        text = body[:RESPONSE_BODY_LIMIT].decode("utf-8", errors="replace")
        if 200 <= status < 300:
            return Outcome(started_at, ok=True, status_code=status, duration_ms=elapsed(), response_body=text)
        if 300 <= status < 400:
            error = f"redirect ({status}) not followed" + (f" to {location}" if location else "")
            return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                           error=short_error(error), response_body=text)
        if status == 410:
            return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                           error="410 Gone: the endpoint is disabled", response_body=text, permanent=True, gone=True)
        seconds = retry_after_seconds(retry_after) if status in (429, 503) else None
        return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                       error=f"HTTP {status}", response_body=text, retry_after=seconds)
