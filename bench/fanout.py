"""Benchmark (not a test): webhook fan-out rate against a fast plain HTTP client (SPEC §7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/fanout.py [--sizes 100 1000 5000]

For each N it registers N webhook endpoints (on one local receiver, in its own process), publishes
one alert that matches all of them, and times from the publish call to the last request the
receiver saw: the whole path — event recorded and committed, dispatch queued on Redis, fan-out in
a real `celery -A config worker` (default pool, as deployed), deliveries signed and sent, attempts
recorded (the run waits for the records before the next one).

The baseline, in the same run and against the same receiver: a plain `aiohttp` client in its own
process posting the same ~1.1 kB body, signed per request, to the same N URLs at 8, 32 and 128
concurrent requests; the best is compared. A plain `httpx.AsyncClient` (the previous baseline)
is timed beside it for reference. The receiver is an asyncio protocol server in its own process
that answers `204` at once and keeps connections alive.

It works in a throw-away database (test_<name>) and starts its own redis-server (or uses
CELERY_BROKER_URL when redis-server is not on PATH). Where the server runs with autovacuum off (this
machine's CI setting), it vacuums the delivery tables before each timed run, outside the timing, as
autovacuum does in a deployment: over the ~170 fan-outs of `--as-deployed --repeats 21` the row
versions each delivery leaves behind otherwise outgrow the buffers, and the later runs slow by 7-15 %.

`--as-deployed` runs the service twice per repeat, interleaved (plain, deployed, plain, deployed…)
so that the machine's load hits both alike, and prints both ratios against the same aiohttp
baseline: plain (the worker at WARNING, text logs, no metrics token, beat with hourly audit
checkpoints) and as deployed (the worker at INFO, `LOG_FORMAT=json`, `METRICS_TOKEN` set, the
cache on Redis, an audit checkpoint every few seconds) — bench/fanoutlib/workers.py. Every
publish runs under a request id, as one from the API would, so that its deliveries log it. The
endpoints subscribe to `alert.published` only there: a checkpoint's own deliveries would be
deliveries like any other, racing the measured ones; its signing and recording still run.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanoutlib.clients import aiohttp_client, httpx_client  # noqa: E402
from bench.fanoutlib.receiver import receiver_call, serve  # noqa: E402
from bench.fanoutlib.system import cpu_seconds, free_port, machine, wait_for  # noqa: E402
from bench.fanoutlib.workers import (  # noqa: E402
    CHECKPOINT_SECONDS,
    DEPLOYED,
    PLAIN,
    PLAIN_WITH_BEAT,
    Configuration,
    ServiceProcesses,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (the median is reported)")
    parser.add_argument("--plain-concurrency", type=int, nargs="+", default=[8, 32, 128],
                        help="concurrent requests of the aiohttp client; the fastest is compared")
    parser.add_argument("--timeline", action="store_true", help="print where the time of each fan-out went")
    parser.add_argument("--profile", metavar="FILE",
                        help="record the worker's processes with py-spy during the fan-out runs (raw collapsed stacks)")
    parser.add_argument("--httpx-concurrency", type=int, default=10,
                        help="concurrent requests of the httpx client (for reference; 0 skips it)")
    parser.add_argument("--as-deployed", action="store_true",
                        help="interleave runs of the plain and the deployed configuration and print both ratios")
    parser.add_argument("--checkpoint-seconds", type=int, default=CHECKPOINT_SECONDS,
                        help="AUDIT_CHECKPOINT_SECONDS of the deployed configuration (3600: the default, hourly)")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="never vacuum the delivery tables between runs, even when the server's autovacuum is off")
    parser.add_argument("--warm-ups", type=int, default=3,
                        help="untimed fan-outs after each worker restart of --as-deployed, so that each of its "
                             "processes has connected and run each task before a timed run, as in a running service")
    args = parser.parse_args()
    deployed = dataclasses.replace(DEPLOYED, environment={**DEPLOYED.environment,
                                                          "AUDIT_CHECKPOINT_SECONDS": str(args.checkpoint_seconds)})
    if args.as_deployed:
        args.httpx_concurrency = 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "1"
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

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
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        vacuum_between_runs = cursor.fetchone()[0] != "on" and not args.no_vacuum
    database_url = f"postgres://{db['USER']}{':' + db['PASSWORD'] if db.get('PASSWORD') else ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    services: ServiceProcesses | None = None
    try:
        context = multiprocessing.get_context("spawn")
        port = free_port()
        ready = context.Event()
        receiver = context.Process(target=serve, args=(port, ready), daemon=True)
        receiver.start()
        processes.append(receiver)
        ready.wait(10)

        env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
               "WEBHOOK_ALLOW_PRIVATE_URLS": "1"}
        env.pop("CELERY_BROKER_WRITE_URL", None)
        services = ServiceProcesses(root=ROOT, workdir=workdir, base_environment=env,
                                    cache_url=broker.rsplit("/", 1)[0] + "/1")
        configurations: list[Configuration] = [PLAIN_WITH_BEAT, deployed] if args.as_deployed else [PLAIN]
        services.start(configurations[0])

        from config.logs import new_request_id, request_context
        from exchange.models import (
            Delivery,
            Event,
            Member,
            Subscription,
            SubscriptionEndpoint,
            WebhookEndpoint,
        )
        from exchange.services.chain import audited_transaction
        from exchange.services.deliveries import webhook_body
        from exchange.services.events import event_record
        from exchange.services.subscriptions import subscription_create
        from exchange.signing import secret_generate

        members = [Member.objects.create(code=f"BENCH{i:02d}", name=f"Bench {i}", country="GB") for i in range(20)]
        # As deployed, checkpoints are signed every few seconds; their deliveries are not what is timed.
        event_types = {"event_types": ["alert.published"]} if args.as_deployed else {}

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
                    subscription_create(actor=None, member=member, name="bench", **event_types,
                                        webhook_endpoints=[str(e.pk) for e in endpoints[start:start + 200]])
            return urls

        def publish() -> Any:
            # As a publish through the API would: under the request's id, which its deliveries log.
            with request_context(new_request_id(), member="BENCH00"), audited_transaction():
                return event_record(
                    type="alert.published", audience_kind="network", audience_codes=["BENCH00"],
                    object_type="alert", object_id="bench", publisher_code="BENCH00",
                    facets={"alert_type": "recall", "severity": "critical", "tools": [], "manufacturers": [],
                            "clinical_areas": ["radiology"], "jurisdictions": ["GB"], "authorised_in": ["GB"],
                            "publisher": "BENCH00"},
                    payload={"id": "bench", "title": "Benchmark alert " + "x" * 400, "severity": "critical",
                             "summary": "y" * 540},
                )

        def quiet() -> None:
            """Nothing left to send (a checkpoint's event fanned out, every delivery recorded)."""
            wait_for(lambda: not Event.objects.filter(dispatched_at__isnull=True).exists()
                     and not Delivery.objects.exclude(state__in=["succeeded", "failed"]).exists(), 120, "quiet")

        def fan_out_once(n: int, *, warm_up: bool = False) -> tuple[float, Any]:
            quiet()
            receiver_call(port, "/_reset")
            worker_pid = services.worker.pid
            cpu_before = (cpu_seconds(worker_pid), cpu_seconds(name="postgres"), cpu_seconds(receiver.pid))
            started = time.time()
            event = publish()
            committed = time.time()
            try:
                # One blocking call, answered by the receiver once it has seen all n: polling would
                # spend the cores the fan-out runs on.
                stats = receiver_call(port, f"/_wait?n={n}", timeout=120)
            except (TimeoutError, OSError):
                from collections import Counter

                from exchange.models import DeliveryAttempt
                print("attempt errors:", Counter(DeliveryAttempt.objects.exclude(error="").values_list("error", flat=True)))
                print("states:", Counter(Delivery.objects.values_list("state", flat=True)))
                print(services.tail())
                raise
            elapsed = stats["last"] - started
            wait_for(lambda: Delivery.objects.filter(event=event, state="succeeded").count() == n, 60, "recording")
            # Before the timeline's own queries (a join over every attempt so far), which are not the service's.
            if args.timeline and not warm_up:
                cpu_after = (cpu_seconds(worker_pid), cpu_seconds(name="postgres"), cpu_seconds(receiver.pid))
                from django.db.models import Max, Min

                from exchange.models import DeliveryAttempt

                dispatched = Event.objects.get(pk=event.pk).dispatched_at.timestamp()
                sends = DeliveryAttempt.objects.filter(delivery__event=event).aggregate(first=Min("at"), last=Max("at"))
                print(f"{'':>9}   timeline (ms from the publish call): committed {1000 * (committed - started):.0f}, "
                      f"fan-out rows {1000 * (dispatched - started):.0f}, first send {1000 * (sends['first'].timestamp() - started):.0f}, "
                      f"first received {1000 * (stats['first'] - started):.0f}, last send {1000 * (sends['last'].timestamp() - started):.0f}, "
                      f"last received {1000 * elapsed:.0f}", flush=True)
                used = [after - before for before, after in zip(cpu_before, cpu_after, strict=True)]
                print(f"{'':>9}   CPU per delivery (µs): worker {1e6 * used[0] / n:.0f}, PostgreSQL (the whole "
                      f"server) {1e6 * used[1] / n:.0f}, receiver {1e6 * used[2] / n:.0f}"
                      + (f" [{services.configuration.name}]" if args.as_deployed and services.configuration else ""),
                      flush=True)
            return elapsed, event

        client_cpu: dict[tuple[str, int], list[float]] = defaultdict(list)  # CPU seconds per request

        def plain_once(client: Any, urls: list[str], body: str, concurrency: int) -> float:
            receiver_call(port, "/_reset")
            result = context.Queue()
            process = context.Process(target=client, args=(urls, body, secret_generate(), concurrency, result))
            process.start()
            elapsed, cpu = result.get(timeout=300)
            process.join(30)
            stats = receiver_call(port, "/_stats")
            assert stats["unique"] == len(urls), stats
            client_cpu[(client.__name__, concurrency)].append(cpu / len(urls))
            return float(elapsed)

        def load() -> str:
            return " ".join(f"{x:.2f}" for x in os.getloadavg())

        def timed_fan_out(n: int, configuration: Configuration, fan: list[float]) -> Any:
            if services.configuration is not configuration:
                services.start(configuration)
                every = int(configuration.environment.get("AUDIT_CHECKPOINT_SECONDS", "0") or 0)
                if configuration.beat and 0 < every <= 60:
                    # A new beat sends its first checkpoint one interval after it starts, and the phases
                    # of this interleaving are shorter than that: without this wait no checkpoint ever ran
                    # in the deployed configuration. After it, checkpoints keep their cadence through the
                    # warm-ups and the timed run, as in a running service.
                    time.sleep(every + 1)
                # Warm up: each of the new worker's processes imports, connects (database, broker) and runs
                # each task before a timed run, as those of a service that has been running do.
                for _ in range(args.warm_ups):
                    fan_out_once(n, warm_up=True)
            if vacuum_between_runs:
                # What autovacuum does between runs in a deployment: without it, the ~4 row versions a
                # delivery leaves (written, leased, recorded) pile up over the run and the later runs
                # slow down (bench/fanout.py's docstring). Outside the timing.
                quiet()
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM exchange_delivery, exchange_deliveryattempt")
            spy = None
            if args.profile:
                spy = subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--rate", os.environ.get("BENCH_PROFILE_RATE", "250"), *([] if os.environ.get("BENCH_PROFILE_IDLE") else ["--gil"]), "--format", "raw",
                                        "-o", f"{args.profile}.{configuration.name}.{n}.{len(fan)}", "--pid", str(services.worker.pid)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)
            elapsed, event = fan_out_once(n)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            fan.append(elapsed)
            return event

        # Warm up: the worker's processes import and connect once.
        setup(20)
        fan_out_once(20, warm_up=True)

        print(f"machine: {machine()}")
        print(f"database: PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}; "
              f"broker: Redis; worker: celery -A config worker (prefork, {os.cpu_count()} processes), "
              f"DELIVERY_PUMPS={settings.DELIVERY_PUMPS}, DELIVERY_MAX_IN_FLIGHT={settings.DELIVERY_MAX_IN_FLIGHT}")
        print("receiver: asyncio protocol server in its own process, 204 at once, keep-alive")
        print(f"baseline: aiohttp in its own process, the same body signed per request, at "
              f"{', '.join(map(str, args.plain_concurrency))} concurrent requests (best reported)"
              + (f"; httpx at {args.httpx_concurrency} for reference" if args.httpx_concurrency else ""))
        if args.as_deployed:
            for configuration in configurations:
                print(f"{configuration.name}: worker --loglevel {configuration.loglevel}, "
                      + ", ".join(f"{k}={'(set)' if k == 'METRICS_TOKEN' else v}" for k, v in configuration.environment.items())
                      + (", REDIS_URL (cache) set" if configuration.cache else ", no cache")
                      + (", beat running" if configuration.beat else ""))
            print("runs interleaved: " + ", ".join(c.name for c in configurations) + f" … (a worker restart, "
                  f"{args.warm_ups} untimed warm-up fan-out(s) at each switch, and for a configuration with "
                  f"checkpoints every few seconds a wait for beat's first one)")
        print("database upkeep: " + (
            "the server's autovacuum is off, so the delivery tables are vacuumed before each timed run (outside "
            "the timing), as autovacuum keeps them in a deployment" if vacuum_between_runs else
            "autovacuum on" if not args.no_vacuum else "no vacuum between runs (--no-vacuum), autovacuum off"))
        print(f"median of {args.repeats} runs per size; load average (1, 5, 15 min) before: {load()}\n")
        if args.as_deployed:
            print(f"{'endpoints':>9} | {'aiohttp/s':>9} {'conc.':>5} | {'plain/s':>8} {'ratio':>5} | "
                  f"{'deployed/s':>10} {'ratio':>5} | {'deployed/plain':>14} | load after")
        else:
            print(f"{'endpoints':>9} | {'fan-out s':>9} {'deliv./s':>9} | {'aiohttp s':>9} {'posts/s':>8} "
                  f"{'conc.':>5} | {'httpx/s':>7} | {'ratio':>5} | load after")
        for n in args.sizes:
            urls = setup(n)
            fans: dict[str, list[float]] = {c.name: [] for c in configurations}
            body = ""
            by_concurrency: dict[int, list[float]] = defaultdict(list)
            httpx_times: list[float] = []
            for _ in range(args.repeats):
                for configuration in configurations:
                    event = timed_fan_out(n, configuration, fans[configuration.name])
                body = webhook_body(event, 1)  # a member's first event: about the size of any
                for concurrency in args.plain_concurrency:
                    by_concurrency[concurrency].append(plain_once(aiohttp_client, urls, body, concurrency))
                if args.httpx_concurrency:
                    httpx_times.append(plain_once(httpx_client, urls, body, args.httpx_concurrency))
            concurrency, times = min(by_concurrency.items(), key=lambda item: statistics.median(item[1]))
            plain_s = statistics.median(times)
            if args.as_deployed:
                plain_fan, deployed_fan = fans[PLAIN_WITH_BEAT.name], fans[deployed.name]
                plain_m, deployed_m = statistics.median(plain_fan), statistics.median(deployed_fan)
                of_ratios = statistics.median(p / d for p, d in zip(plain_fan, deployed_fan, strict=True))
                print(f"{n:>9,} | {n / plain_s:>9,.0f} {concurrency:>5} | {n / plain_m:>8,.0f} {plain_s / plain_m:>5.2f} | "
                      f"{n / deployed_m:>10,.0f} {plain_s / deployed_m:>5.2f} | {of_ratios:>14.3f} | {load()}", flush=True)
                print(f"{'':>9}   plain runs: {' '.join(f'{x:.3f}' for x in plain_fan)}; deployed runs: "
                      f"{' '.join(f'{x:.3f}' for x in deployed_fan)}; deployed/plain per pair: "
                      f"{' '.join(f'{p / d:.3f}' for p, d in zip(plain_fan, deployed_fan, strict=True))}", flush=True)
                print(f"{'':>9}   aiohttp by concurrency: "
                      + "; ".join(f"{c}: {statistics.median(t):.3f}" for c, t in sorted(by_concurrency.items())), flush=True)
            else:
                fan = fans[PLAIN.name]
                fan_s = statistics.median(fan)
                httpx_rate = f"{n / statistics.median(httpx_times):>7,.0f}" if httpx_times else f"{'-':>7}"
                print(f"{n:>9,} | {fan_s:>9.3f} {n / fan_s:>9,.0f} | {plain_s:>9.3f} {n / plain_s:>8,.0f} "
                      f"{concurrency:>5} | {httpx_rate} | {plain_s / fan_s:>5.2f} | {load()}", flush=True)
                print(f"{'':>9}   fan-out runs: {' '.join(f'{x:.3f}' for x in fan)}; aiohttp by concurrency: "
                      + "; ".join(f"{c}: {statistics.median(t):.3f}" for c, t in sorted(by_concurrency.items())),
                      flush=True)
            if args.timeline:
                print(f"{'':>9}   CPU per request of the aiohttp client at {concurrency} (µs): "
                      f"{1e6 * statistics.median(client_cpu[('aiohttp_client', concurrency)]):.0f}", flush=True)
            if n == args.sizes[0]:
                print(f"{'':>9}   body: {len(body.encode()):,} bytes", flush=True)
    finally:
        if services is not None:
            services.stop()
        for process in processes:
            process.terminate()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if redis_process is not None:
            redis_process.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
