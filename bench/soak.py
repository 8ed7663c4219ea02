"""Soak: the whole service under concurrent mixed load and faults, then a reconciliation (SPEC §7, §9).

Starts its own PostgreSQL cluster and Redis on free ports (never the machine's shared ones),
gunicorn with several workers, two Celery workers and one beat, and a webhook receiver (an
asyncio server in its own process answering 204 at once and recording every request). Ten
members (five real regulators and five fictional ones), each with a webhook endpoint subscribed to
every alert; 50 clients, five per member, loop over a mix of reads (alert list and details, inbox,
events feed, tool performance, notifications) and writes (drafts, publications, amendments,
acknowledgements, performance reports, subscription changes) with a think time between requests.

Faults, in the middle of the run: PostgreSQL is stopped and started again, then Redis, then one
Celery worker is SIGKILLed (a new one is started, as a supervisor would).

Reported: p50/p95/p99 per operation, throughput, 5xx inside and outside the outage windows (and
whether all of those inside were 503), deadlocks in the PostgreSQL log, and the reconciliation:
every webhook delivery succeeded and reached its endpoint (duplicates only with the same
webhook-id), every event was fanned out, every network-wide alert reached every other member,
every requested acknowledgement exists, and `verify_audit_log` passes.

    .venv/bin/python bench/soak.py                    # 5 minutes, 50 clients
    .venv/bin/python bench/soak.py --duration 60      # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.soaklib.load import load_average, run_load  # noqa: E402
from bench.soaklib.report import report  # noqa: E402
from bench.soaklib.stack import FICTIONAL, RECEIVER, RECONCILE, SEED, Processes  # noqa: E402
from tests.integration.stack import PostgresCluster, django_script, free_port, manage  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=300, help="seconds of load (default 300)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a client's requests (default 1)")
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs) afterwards")
    args = parser.parse_args()

    from tests.integration.conftest import RedisServer

    workdir = Path(tempfile.mkdtemp(prefix="sax-soak-"))
    print(f"soak: {args.clients} clients x {args.duration:.0f}s, think {args.think}s; "
          f"{os.cpu_count()} cores, load {load_average()}; {platform.python_implementation()} {platform.python_version()}; "
          f"workdir {workdir}", flush=True)
    postgres = PostgresCluster().init().start()
    redis = RedisServer(workdir).start()
    receiver_port = free_port()
    receiver_log = workdir / "received.jsonl"
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(receiver_port), str(receiver_log)])
    env = {
        **os.environ,
        "DATABASE_URL": postgres.create_database("sax"), "CELERY_BROKER_URL": redis.url,
        "REDIS_URL": redis.url.rsplit("/", 1)[0] + "/1", "SAX_VAR_DIR": str(workdir / "var"), "DEBUG": "0",
        "SITE_URL": "http://127.0.0.1:8000",
        "LOG_FORMAT": "json", "API_RATE_LIMIT": "off", "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "5", "WEBHOOK_RETRY_SCHEDULE": "0,1,2,5,10,15,30,30",
        "DELIVERY_LEASE_SECONDS": "20", "OUTBOX_SWEEP_SECONDS": "10", "EMAIL_URL": "dummymail://",
        "PYTHONUNBUFFERED": "1", "SIGNING_KEYS_SECRET": "soak-only-signing-keys-secret-" + os.urandom(16).hex(),
    }
    procs = Processes(workdir, env, web_workers=args.web_workers, worker_concurrency=args.worker_concurrency)
    try:
        manage(env, "migrate", "--noinput")
        seed = django_script(env, f"RECEIVER = 'http://127.0.0.1:{receiver_port}'\nFICTIONAL = {FICTIONAL!r}\n" + SEED)
        countries = {"MHRA": "GB", "FDA": "US", "HC": "CA", "TGA": "AU", "SMC": "CH",
                     **{code: country for code, _, country in FICTIONAL}}
        procs.start()
        print(f"stack up: gunicorn x{args.web_workers}, 2 Celery workers x{args.worker_concurrency} + beat; "
              f"PostgreSQL :{postgres.port}, Redis :{redis.port}", flush=True)
        shared, windows, began, ended = asyncio.run(run_load(
            procs.web.url, seed, countries, procs, postgres, redis, clients=args.clients, duration=args.duration,
            think=args.think, receiver_log=receiver_log))
        load_after = load_average()

        print("draining: waiting for every event to be fanned out and every delivery to settle", flush=True)
        drained_at = None
        for _ in range(180):
            state = django_script(env, "from exchange.models import Delivery, Event\nprint(json.dumps([Event.objects.filter("
                                  "dispatched_at__isnull=True).count(), Delivery.objects.filter(state__in=['pending', "
                                  "'retrying']).count()]))")
            if state == [0, 0]:
                drained_at = time.monotonic()
                break
            time.sleep(2)
        reconcile = django_script(env, RECONCILE)
        audit = subprocess.run([sys.executable, "manage.py", "verify_audit_log"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=600)
        (workdir / "postgres.log").write_text(postgres.log_text())
        report(shared, windows, began, ended, reconcile, receiver_log, postgres.log_text(), audit, drained_at,
               load_after, procs.logs())
    finally:
        procs.stop()
        receiver.terminate()
        redis.stop()
        postgres.destroy()
        if not args.keep:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
