"""Benchmark (not a test): webhook fan-out rate against a plain async HTTP client.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/fanout.py [--sizes 100 1000 5000]

For each N it registers N webhook endpoints (on one local receiver, in its own process), publishes
one alert that matches all of them, and times from the publish call to the last delivery the
receiver saw: the whole path — event recorded and committed, dispatch queued on Redis, fan-out in
a real `celery -A config worker` (default pool, as deployed), deliveries signed and sent, attempts
recorded. Then, in the same run and against the same receiver, a plain httpx.AsyncClient in its
own process posts the same signed bodies to the same N URLs with the same concurrency as one
delivery pump, and the ratio of the two rates is printed (SPEC §7 target: ≥ 0.5 at 1,000).

It works in a throw-away database (test_<name>) and starts its own redis-server (or uses
CELERY_BROKER_URL when redis-server is not on PATH).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --- the receiver: a minimal HTTP/1.1 server on asyncio, in its own process ----------------------------


def serve(port: int, ready: Any) -> None:
    stats: dict[str, Any] = {"count": 0, "paths": set(), "first": None, "last": None}
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if path == b"/_stats":
                    body = json.dumps({"count": stats["count"], "unique": len(stats["paths"]),
                                       "first": stats["first"], "last": stats["last"]}).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                elif path == b"/_reset":
                    stats.update(count=0, paths=set(), first=None, last=None)
                    writer.write(ok)
                else:
                    now = time.time()
                    stats["count"] += 1
                    stats["paths"].add(path)
                    stats["first"] = stats["first"] or now
                    stats["last"] = now
                    writer.write(ok)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def receiver_call(port: int, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}") if path == "/_stats" else {}


# --- the plain client: the same signed bodies, posted with httpx, in its own process -------------------


def plain_client(urls: list[str], body: str, secret: str, concurrency: int, result: Any) -> None:
    import importlib.util

    # The same environment fix the exchange's sender applies (exchange/transports/webhook.py):
    # without sniffio installed, httpcore retries a failed import several times per request.
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

    import httpx
    from standardwebhooks.webhooks import Webhook

    signer = Webhook(secret)

    async def main() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        semaphore = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=15, trust_env=False) as client:

            async def post(index: int, url: str) -> None:
                async with semaphore:
                    msg_id = f"msg_plain{index}"
                    timestamp = int(time.time())
                    from datetime import UTC, datetime

                    signature = signer.sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body)
                    response = await client.post(url, content=body.encode(), headers={
                        "content-type": "application/json", "webhook-id": msg_id,
                        "webhook-timestamp": str(timestamp), "webhook-signature": signature,
                    })
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(post(i, url) for i, url in enumerate(urls)))
            return time.perf_counter() - started

    result.put(asyncio.run(main()))


# --- the run ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (the median is reported)")
    parser.add_argument("--plain-concurrency", type=int, nargs="+", default=[10, 50, 200],
                        help="concurrent requests of the plain client; the fastest is compared")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        raise SystemExit("bench/fanout.py needs PostgreSQL: set DATABASE_URL")

    workdir = Path(tempfile.mkdtemp(prefix="sax-bench-"))
    processes: list[Any] = []
    redis_process = None
    if shutil.which("redis-server"):
        redis_port = free_port()
        redis_process = subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        broker = f"redis://127.0.0.1:{redis_port}/0"
        time.sleep(0.5)
    else:
        broker = settings.CELERY_BROKER_URL
    os.environ["CELERY_BROKER_WRITE_URL"] = broker  # this process publishes there too

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    worker = None
    try:
        context = multiprocessing.get_context("spawn")
        port = free_port()
        ready = context.Event()
        receiver = context.Process(target=serve, args=(port, ready), daemon=True)
        receiver.start()
        processes.append(receiver)
        ready.wait(10)

        env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
               "WEBHOOK_ALLOW_PRIVATE_URLS": "1", "LOG_LEVEL": "WARNING"}
        env.pop("CELERY_BROKER_WRITE_URL", None)
        log = (workdir / "worker.log").open("wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

        from exchange.models import Delivery, Member, Subscription, SubscriptionEndpoint, WebhookEndpoint
        from exchange.services.deliveries import webhook_body
        from exchange.services.events import event_record
        from exchange.services.subscriptions import subscription_create
        from exchange.signing import secret_generate

        members = [Member.objects.create(code=f"BENCH{i:02d}", name=f"Bench {i}", country="GB") for i in range(20)]

        def setup(n: int) -> list[str]:
            SubscriptionEndpoint.objects.all().delete()
            Subscription.objects.all().delete()
            Delivery.objects.all().delete()
            WebhookEndpoint.objects.all().delete()
            urls = []
            for index, member in enumerate(members):
                share = n // len(members) + (1 if index < n % len(members) else 0)
                endpoints = WebhookEndpoint.objects.bulk_create(
                    WebhookEndpoint(member=member, url=f"http://127.0.0.1:{port}/{member.code}/{i}",
                                    secret=secret_generate())
                    for i in range(share)
                )
                urls += [e.url for e in endpoints]
                for start in range(0, len(endpoints), 200):
                    subscription_create(actor=None, member=member, name="bench",
                                        webhook_endpoints=[str(e.pk) for e in endpoints[start:start + 200]])
            return urls

        def publish() -> Any:
            with transaction.atomic():
                return event_record(
                    type="alert.published", audience_kind="network", audience_codes=["BENCH00"],
                    object_type="alert", object_id="bench", publisher_code="BENCH00",
                    facets={"alert_type": "recall", "severity": "critical", "tools": [], "manufacturers": [],
                            "clinical_areas": ["radiology"], "jurisdictions": ["GB"], "authorised_in": ["GB"],
                            "publisher": "BENCH00"},
                    payload={"id": "bench", "title": "Benchmark alert " + "x" * 400, "severity": "critical",
                             "summary": "y" * 1200},
                )

        def fan_out_once(n: int) -> tuple[float, Any]:
            receiver_call(port, "/_reset")
            started = time.time()
            event = publish()
            try:
                stats = wait_for(lambda: (s := receiver_call(port, "/_stats"))["unique"] >= n and s, 120, f"{n} deliveries")
            except SystemExit:
                from collections import Counter

                from exchange.models import DeliveryAttempt
                print("attempt errors:", Counter(DeliveryAttempt.objects.exclude(error="").values_list("error", flat=True)))
                print("states:", Counter(Delivery.objects.values_list("state", flat=True)))
                print((workdir / "worker.log").read_text()[-3000:])
                raise
            elapsed = stats["last"] - started
            wait_for(lambda: Delivery.objects.filter(event=event, state="succeeded").count() == n, 60, "recording")
            return elapsed, event

        def plain_once(urls: list[str], body: str, concurrency: int) -> float:
            receiver_call(port, "/_reset")
            result = context.Queue()
            client = context.Process(target=plain_client, args=(urls, body, secret_generate(), concurrency, result))
            client.start()
            elapsed = result.get(timeout=300)
            client.join(30)
            stats = receiver_call(port, "/_stats")
            assert stats["unique"] == len(urls), stats
            return float(elapsed)

        # Warm up: the worker's processes import and connect once.
        setup(20)
        fan_out_once(20)

        print(f"machine: {machine()}")
        print(f"database: PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}; "
              f"broker: Redis; worker: celery -A config worker (prefork, {os.cpu_count()} processes), "
              f"DELIVERY_PUMPS={settings.DELIVERY_PUMPS}, DELIVERY_MAX_IN_FLIGHT={settings.DELIVERY_MAX_IN_FLIGHT}; "
              f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"plain client: one httpx.AsyncClient, the same body signed per request, at "
              f"{', '.join(map(str, args.plain_concurrency))} concurrent requests: the best is reported")
        print(f"median of {args.repeats} runs per size\n")
        print(f"{'endpoints':>9} | {'fan-out s':>9} {'deliveries/s':>12} | {'plain s':>8} {'posts/s':>9} "
              f"{'conc.':>5} | {'ratio':>5}")
        for n in args.sizes:
            urls = setup(n)
            fan, plain = [], []
            body = ""
            best_concurrency: dict[int, list[float]] = defaultdict(list)
            for _ in range(args.repeats):
                elapsed, event = fan_out_once(n)
                fan.append(elapsed)
                body = webhook_body(event)
                for concurrency in args.plain_concurrency:
                    best_concurrency[concurrency].append(plain_once(urls, body, concurrency))
            concurrency, times = min(best_concurrency.items(), key=lambda item: statistics.median(item[1]))
            plain = times
            fan_s, plain_s = statistics.median(fan), statistics.median(plain)
            print(f"{n:>9,} | {fan_s:>9.2f} {n / fan_s:>12,.0f} | {plain_s:>8.2f} {n / plain_s:>9,.0f} "
                  f"{concurrency:>5} | {plain_s / fan_s:>5.2f}")
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        for process in processes:
            process.terminate()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if redis_process is not None:
            redis_process.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
