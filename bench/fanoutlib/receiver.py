"""The receiver: an asyncio protocol server in its own process, answering 204 at once, keep-alive."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any


def serve(port: int, ready: Any) -> None:
    stats: dict[str, Any] = {"count": 0, "paths": set(), "first": None, "last": None}
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"

    class Handler(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.buffer = b""

        def data_received(self, data: bytes) -> None:
            self.buffer += data
            while True:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end]
                length = 0
                lower = head.lower()
                at = lower.find(b"\r\ncontent-length:")
                if at >= 0:
                    stop = lower.find(b"\r\n", at + 2)
                    length = int(lower[at + 17: stop if stop >= 0 else len(lower)])
                if len(self.buffer) < end + 4 + length:
                    return
                self.buffer = self.buffer[end + 4 + length:]
                path = head[: head.find(b"\r\n")].split(b" ")[1]
                if path == b"/_stats":
                    body = json.dumps({"count": stats["count"], "unique": len(stats["paths"]),
                                       "first": stats["first"], "last": stats["last"]}).encode()
                    self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                elif path == b"/_reset":
                    stats.update(count=0, paths=set(), first=None, last=None)
                    self.transport.write(no_content)
                else:
                    now = time.time()
                    stats["count"] += 1
                    stats["paths"].add(path)
                    stats["first"] = stats["first"] or now
                    stats["last"] = now
                    self.transport.write(no_content)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Handler, "127.0.0.1", port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def receiver_call(port: int, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}") if path == "/_stats" else {}
