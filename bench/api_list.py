"""Benchmark (not a test): the DRF alerts list against a bare Django view returning the same rows (SPEC §7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/api_list.py [--alerts 120]

Both are served by the same gunicorn (2 sync workers, as a small deployment would run) from the
same throw-away database (test_<name>), to the same member through the same bearer token:

* `GET /api/v1/alerts/` — the API as deployed: authentication, scope check, throttling, filters,
  cursor pagination, the serializer, the JSON renderer;
* `GET /bench/bare-alerts/` — a bare Django view: the token looked up, the same visible rows with
  the same details (`alerts_with_details`), the same page size and order, rendered by
  `alerts/payloads.alert_payload` (held equal to the API's JSON by tests/alerts/test_payloads.py)
  and returned with `JsonResponse`.

The client is aiohttp in its own process, keep-alive, at 1, 2, 4 and 8 concurrent requests for a
fixed time each; the best rate of each view is compared (target: DRF ≥ 0.6 × bare).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # dispatch is queued, never run, here
BARE_PATH = "/bench/bare-alerts/"
API_PATH = "/api/v1/alerts/"


# --- the bare view, and the WSGI application gunicorn serves (this module, imported there) ---------


def bare_alerts(request: Any) -> Any:
    from django.http import JsonResponse

    from alerts.payloads import alert_payload
    from alerts.selectors import alerts_visible_to, alerts_with_details
    from exchange.services.tokens import token_authenticate

    token = token_authenticate(request.headers.get("authorization", "").removeprefix("Bearer "))
    if token is None:
        return JsonResponse({"detail": "not authenticated"}, status=401)
    rows = alerts_with_details(alerts_visible_to(member=token.user.member)).order_by("-created_at", "-pk")[:50]
    return JsonResponse({"next": None, "previous": None, "results": [alert_payload(alert) for alert in rows]})


urlpatterns: list[Any] = []


def _wsgi() -> Any:
    import django
    from django.conf import settings
    from django.urls import include, path

    django.setup()
    urlpatterns[:] = [path(BARE_PATH.strip("/") + "/", bare_alerts), path("", include("config.urls"))]
    settings.ROOT_URLCONF = __name__
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


_application: Any = None


def application(environ: Any, start_response: Any) -> Any:
    global _application
    if _application is None:
        _application = _wsgi()
    return _application(environ, start_response)


# --- the client ------------------------------------------------------------------------------------------


def client(url: str, token: str, concurrency: int, seconds: float, result: Any) -> None:
    import aiohttp

    async def main() -> tuple[int, float]:
        headers = {"authorization": f"Bearer {token}", "accept": "application/json"}
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            async with session.get(url) as response:  # warm: the worker has served this path once
                await response.read()
            done = 0
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                nonlocal done
                while time.perf_counter() < deadline:
                    async with session.get(url) as response:
                        body = await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{url}: {response.status} {body[:200]!r}")
                    done += 1

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return done, time.perf_counter() - started

    result.put(asyncio.run(main()))


def _profile(token: str, requests: int) -> None:
    """Where one request's time goes, in-process (django.test.Client, no network), per view."""
    import cProfile
    import pstats

    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    _wsgi()
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*", *settings.ALLOWED_HOSTS]):
        http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for name, path in (("bare", BARE_PATH), ("drf", API_PATH)):
            assert http.get(path).status_code == 200
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            for _ in range(requests):
                http.get(path)
            profiler.disable()
            print(f"\n{name}: {1000 * (time.perf_counter() - started) / requests:.1f} ms per request (profiled)")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=120, help="published alerts visible to the caller")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--seconds", type=float, default=4.0, help="per view and concurrency")
    parser.add_argument("--rounds", type=int, default=2, help="the views alternate; the best round counts")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="also cProfile N requests of each view in this process and print where the time goes")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from alerts.services.alerts import alert_draft_create, alert_publish
    from alerts.services.tools import authorization_record, tool_register
    from exchange.models import Member
    from exchange.services.members import user_create
    from exchange.services.tokens import token_issue

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    server = None
    try:
        countries = ["GB", "US", "CA", "AU", "DE", "FR", "JP", "BR"]
        members = [Member.objects.create(code=f"BENCH{i}", name=f"Bench regulator {i}", country=c)
                   for i, c in enumerate(countries)]
        publisher = user_create(actor=None, email="publisher@bench.example", member=members[0], role="publisher")
        reader = user_create(actor=None, email="reader@bench.example", member=members[1], role="viewer")
        tools = [tool_register(actor=publisher, name=f"Bench Tool {i}", manufacturer="Bench Imaging Ltd",
                               clinical_area="radiology") for i in range(3)]
        for tool in tools:
            authorization_record(actor=publisher, tool=tool, jurisdiction="GB", reference=f"BENCH-{tool.pk}",
                                 date=date(2025, 1, 1))
        for i in range(args.alerts):
            draft = alert_draft_create(actor=publisher, data={
                "title": f"Bench alert {i}: missed findings in low-dose scans", "alert_type": "performance_degradation",
                "severity": ["low", "medium", "high", "critical"][i % 4], "summary": "A summary. " * 20,
                "affected_tools": [{"tool": tools[i % 3].pk, "versions": "2.x"}],
                "affected_jurisdictions": countries[: 1 + i % 4], "distribution": "network",
            })
            alert_publish(actor=publisher, alert=draft)
        token = token_issue(actor=None, user=reader, name="bench").value
        if args.profile:
            _profile(token, args.profile)
        db = connection.settings_dict
        database_url = (f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}"
                        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "DEBUG": "0"}
        env.setdefault("SIGNING_KEYS_SECRET", secrets.token_urlsafe(32))  # required when DEBUG=0
        env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")  # likewise
        # The rate limit is checked on every request, as deployed, but set high enough never to trip:
        # at the default 600/min the benchmark's one token is refused (429) within seconds.
        env.setdefault("API_RATE_LIMIT", "100000000/min")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--pythonpath", str(HERE), "--log-level", "warning", "api_list:application"],
            cwd=ROOT, env=env, start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                request = urllib.request.Request(base + BARE_PATH, headers={"authorization": f"Bearer {token}"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    bare = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("gunicorn did not start")
        request = urllib.request.Request(base + API_PATH, headers={"authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            api = json.loads(response.read())
        same = [row["id"] for row in api["results"]] == [row["id"] for row in bare["results"]]
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
              f"Python {platform.python_version()}, database {connection.vendor}; load average before "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"server: gunicorn, 2 sync workers; client: aiohttp in its own process; "
              f"{len(api['results'])} alerts per page; same rows in the same order: {same}; "
              f"same JSON: {api['results'] == bare['results']}")
        context = multiprocessing.get_context("spawn")
        best: dict[str, tuple[float, int]] = {}
        print(f"{'view':>6} | " + " | ".join(f"{c:>3} conc. req/s" for c in args.concurrency))
        for _ in range(args.rounds):
            for name, path in (("bare", BARE_PATH), ("drf", API_PATH)):
                rates = []
                for concurrency in args.concurrency:
                    queue = context.Queue()
                    process = context.Process(target=client, args=(base + path, token, concurrency, args.seconds, queue))
                    process.start()
                    done, elapsed = queue.get(timeout=120)
                    process.join(30)
                    rate = done / elapsed
                    rates.append(rate)
                    if rate > best.get(name, (0.0, 0))[0]:
                        best[name] = (rate, concurrency)
                print(f"{name:>6} | " + " | ".join(f"{rate:>14.1f}" for rate in rates), flush=True)
        (bare_rate, bare_c), (drf_rate, drf_c) = best["bare"], best["drf"]
        print(f"\nbest: bare {bare_rate:.1f} req/s (at {bare_c}), DRF {drf_rate:.1f} req/s (at {drf_c}); "
              f"ratio DRF/bare {drf_rate / bare_rate:.2f}; load average after "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(20)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
