"""The receiver: an asyncio protocol server in its own process, answering 204 at once, keep-alive.

`POST /_wait?n=N` answers once N distinct paths have been received (at once if they have), with the
same figures as `/_stats`: the benchmark blocks on it instead of polling, so that waiting for a
fan-out costs the two cores nothing (the plain clients it is compared with are never polled).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any


def serve(port: int, ready: Any) -> None:
    stats: dict[str, Any] = {"count": 0, "paths": set(), "first": None, "last": None}
    no_content = b"HTTP/1.1 204 No Content\r\n\r\n"
    waiting: list[tuple[int, Any]] = []  # (distinct paths awaited, the transport to answer)

    def figures() -> bytes:
        body = json.dumps({"count": stats["count"], "unique": len(stats["paths"]),
                           "first": stats["first"], "last": stats["last"]}).encode()
        return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

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
                    self.transport.write(figures())
                elif path.startswith(b"/_wait?n="):
                    awaited = int(path[len(b"/_wait?n="):])
                    if len(stats["paths"]) >= awaited:
                        self.transport.write(figures())
                    else:
                        waiting.append((awaited, self.transport))
                elif path == b"/_reset":
                    stats.update(count=0, paths=set(), first=None, last=None)
                    waiting.clear()  # a waiter of an earlier run has given up (timed out)
                    self.transport.write(no_content)
                else:
                    now = time.time()
                    stats["count"] += 1
                    stats["paths"].add(path)
                    stats["first"] = stats["first"] or now
                    stats["last"] = now
                    self.transport.write(no_content)
                    if waiting and len(stats["paths"]) >= min(awaited for awaited, _ in waiting):
                        ready_now = [w for w in waiting if len(stats["paths"]) >= w[0]]
                        waiting[:] = [w for w in waiting if len(stats["paths"]) < w[0]]
                        for _, transport in ready_now:
                            transport.write(figures())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Handler, "127.0.0.1", port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def receiver_call(port: int, path: str, timeout: float = 10) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}") if path.startswith(("/_stats", "/_wait")) else {}
