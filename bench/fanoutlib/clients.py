"""The plain clients: the same signed bodies to the same URLs, each in its own process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import sys
import time
from typing import Any


def _signer(secret: str) -> Any:
    """Standard Webhooks signing as any plain client would do it: HMAC-SHA256 of id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))

    def sign(msg_id: str, timestamp: int, body: bytes) -> str:
        digest = hmac.new(key, b"%s.%d.%s" % (msg_id.encode(), timestamp, body), hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    return sign


def aiohttp_client(urls: list[str], body: str, secret: str, concurrency: int, result: Any) -> None:
    import aiohttp

    sign = _signer(secret)
    data = body.encode()

    async def main() -> float:
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            pending = iter(enumerate(urls))

            async def worker() -> None:
                for index, url in pending:
                    msg_id = f"msg_plain{index}"
                    timestamp = int(time.time())
                    async with session.post(url, data=data, headers={
                        "content-type": "application/json", "webhook-id": msg_id,
                        "webhook-timestamp": str(timestamp), "webhook-signature": sign(msg_id, timestamp, data),
                    }) as response:
                        await response.read()
                        response.raise_for_status()

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started, time.process_time() - cpu

    result.put(asyncio.run(main()))


def httpx_client(urls: list[str], body: str, secret: str, concurrency: int, result: Any) -> None:
    import importlib.util

    # The same environment fix the exchange's sender used to apply: without sniffio installed,
    # httpcore retries a failed import several times per request.
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]
    import httpx

    sign = _signer(secret)
    data = body.encode()

    async def main() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=15, trust_env=False) as client:
            pending = iter(enumerate(urls))

            async def worker() -> None:
                for index, url in pending:
                    msg_id = f"msg_plain{index}"
                    timestamp = int(time.time())
                    response = await client.post(url, content=data, headers={
                        "content-type": "application/json", "webhook-id": msg_id,
                        "webhook-timestamp": str(timestamp), "webhook-signature": sign(msg_id, timestamp, data),
                    })
                    response.raise_for_status()

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - started, time.process_time() - cpu

    result.put(asyncio.run(main()))
