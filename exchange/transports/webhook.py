"""Webhook transport: one signed POST (Standard Webhooks), never following redirects.

Many sends run concurrently on one `httpx.AsyncClient` whose connections go only to addresses
checked at send time (`GuardedNetworkBackend`). The whole attempt — resolving, connecting, sending
and reading the first bytes of the answer — must finish within WEBHOOK_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

import httpcore
import httpx

from exchange.netguard import GuardedNetworkBackend, UnsafeDestination
from exchange.signing import signature_header
from exchange.transports.base import Message, Outcome, short_error

# httpcore asks `import sniffio` for every lock it sets up, i.e. several times per request. Without
# sniffio installed each ask is a failed import that searches sys.path: a large share of the CPU of
# a busy sender. Recording the module as absent makes the failure immediate (and changes nothing else).
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

USER_AGENT = "AI-Safety-Alert-Exchange-Webhooks/1.0"
RESPONSE_BODY_LIMIT = 1024
MAX_RETRY_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WebhookMessage(Message):
    url: str
    body: str
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


class GuardedHTTPTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, with a connection pool that connects only to checked addresses."""

    def __init__(self, *, max_connections: int, keepalive: int) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=min(keepalive, max_connections),
            keepalive_expiry=30.0,
            http1=True,
            http2=False,
            retries=0,
            network_backend=GuardedNetworkBackend(),
        )


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)  # loading the CA bundle takes a while: once


def webhook_client(*, max_connections: int, timeout: float, keepalive: int | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=GuardedHTTPTransport(max_connections=max_connections, keepalive=keepalive or max_connections),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout, pool=None),
        headers={"user-agent": USER_AGENT},
    )


class WebhookTransport:
    channel = "webhook"

    def __init__(self, *, client: httpx.AsyncClient, timeout: float) -> None:
        self.client = client
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
                secrets=list(message.secrets), msg_id=message.msg_id, timestamp=timestamp, body=message.body
            ),
        }
        try:
            async with asyncio.timeout(self.timeout):
                request = self.client.build_request("POST", message.url, content=message.body.encode(), headers=headers)
                response = await self.client.send(request, stream=True)
                try:
                    body = bytearray()
                    async for chunk in response.aiter_raw():
                        body.extend(chunk)
                        if len(body) >= RESPONSE_BODY_LIMIT:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            return Outcome(started_at, ok=False, duration_ms=elapsed(),
                           error=f"timed out after {self.timeout:g} s")
        except httpx.TimeoutException as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(),
                           error=short_error(f"timed out ({type(exc).__name__})"))
        except UnsafeDestination as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(), error=short_error(f"refused: {exc}"))
        except httpx.HTTPError as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(),
                           error=short_error(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__))
        except OSError as exc:
            return Outcome(started_at, ok=False, duration_ms=elapsed(), error=short_error(f"network error: {exc}"))
        status = response.status_code
        text = bytes(body[:RESPONSE_BODY_LIMIT]).decode("utf-8", errors="replace")
        if 200 <= status < 300:
            return Outcome(started_at, ok=True, status_code=status, duration_ms=elapsed(), response_body=text)
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            error = f"redirect ({status}) not followed" + (f" to {location}" if location else "")
            return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                           error=short_error(error), response_body=text)
        if status == 410:
            return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                           error="410 Gone: the endpoint is disabled", response_body=text, permanent=True, gone=True)
        retry_after = None
        if status in (429, 503):
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
        return Outcome(started_at, ok=False, status_code=status, duration_ms=elapsed(),
                       error=f"HTTP {status}", response_body=text, retry_after=retry_after)
