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
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import httpx  # noqa: E402

from tests.integration.stack import Gunicorn, PostgresCluster, django_script, free_port, http, manage  # noqa: E402

FICTIONAL = (("NRAX", "Northaven Regulatory Authority", "NZ"), ("ORMA", "Ostland Regulatory Medicines Agency", "NO"),
             ("PMDB", "Pellmark Devices Board", "IE"), ("QHSA", "Quarry Health Safety Authority", "SE"),
             ("RVMD", "Riverland Medical Devices Office", "DK"))

SEED = r"""
from datetime import date
from tests.factories import REGULATORS, regulator_make, token_make, tool_make, authorization_make
from tests.alerts.factories import alert_published_make
from exchange.services.endpoints import endpoint_create
from exchange.services.subscriptions import subscription_create
members = {}
for code, name, country in list(REGULATORS) + list(FICTIONAL):
    members[code] = regulator_make(code=code, name=name, country=country)
tools = []
for index, code in enumerate(["MHRA", "FDA", "HC", "TGA", "NRAX"]):
    tool = tool_make(actor=members[code].publisher, name=f"Soak LungScan AI {index}",
                     manufacturer=f"Quillfeather Imaging {index} Ltd")
    authorization_make(actor=members[code].publisher, tool=tool)
    tools.append(str(tool.pk))
out = {"members": {}, "tools": tools}
for code, regulator in members.items():
    endpoint = endpoint_create(actor=regulator.admin, member=regulator.member, url=RECEIVER + "/m/" + code)
    subscription_create(actor=regulator.admin, member=regulator.member, name="every alert",
                        event_types=["alert.published", "alert.amended", "alert.closed", "alert.withdrawn"],
                        webhook_endpoints=[str(endpoint.pk)])
    noise = subscription_create(actor=regulator.admin, member=regulator.member, name="reports digest",
                                event_types=["report.published"], email_recipients=["vigilance@" + code.lower() + ".test"])
    out["members"][code] = {
        "publisher": token_make(user=regulator.publisher).value,
        "admin": token_make(user=regulator.admin).value,
        "subscription": str(noise.pk),
        "endpoint": str(endpoint.pk),
    }
from alerts.models import Tool
for index, code in enumerate(["MHRA", "FDA", "HC", "TGA", "SMC"] * 4):
    alert_published_make(actor=members[code].publisher, tools=[Tool.objects.get(pk=tools[index % len(tools)])])
print(json.dumps(out))
"""

RECONCILE = r"""
from collections import defaultdict
from exchange.models import Delivery, Event, Member
from alerts.models import Alert, Acknowledgement
from alerts.services.acknowledgements import _requested_member_ids
webhooks = list(Delivery.objects.filter(channel="webhook").values_list("id", "event_id", "member__code", "state"))
undispatched = Event.objects.filter(dispatched_at__isnull=True).count()
open_states = Delivery.objects.filter(state__in=["pending", "retrying"]).count()
network_alert_events = list(Event.objects.filter(type="alert.published", audience_kind="network").values_list("id", "publisher_code"))
by_event = defaultdict(set)
for _id, event_id, code, _state in webhooks:
    by_event[str(event_id)].add(code)
members = set(Member.objects.filter(status="active").values_list("code", flat=True))
missing_fanout = [(str(e), sorted(members - by_event[str(e)])) for e, publisher in network_alert_events
                  if members - by_event[str(e)]]
missing_acks = []
for alert in Alert.objects.exclude(status="draft"):
    wanted = _requested_member_ids(alert)
    have = set(Acknowledgement.objects.filter(alert=alert, requested=True).values_list("member_id", flat=True))
    if wanted - have:
        missing_acks.append((str(alert.pk), sorted(wanted - have)))
print(json.dumps({
    "webhooks": [["msg_" + i.hex, str(e), c, s] for i, e, c, s in webhooks],
    "undispatched": undispatched, "open": open_states,
    "network_alert_events": len(network_alert_events), "missing_fanout": missing_fanout[:20],
    "missing_fanout_count": len(missing_fanout),
    "alerts": Alert.objects.exclude(status="draft").count(), "acks_requested": Acknowledgement.objects.filter(requested=True).count(),
    "missing_acks": missing_acks[:20], "missing_acks_count": len(missing_acks),
}))
"""

RECEIVER = r"""
import asyncio, json, sys
log = open(sys.argv[2], "a", buffering=1)
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            try:
                event_id = json.loads(body)["data"].get("event_id", "")
            except Exception:
                event_id = ""
            log.write(json.dumps([path, headers.get("webhook-id", ""), event_id]) + "\n")
            writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=1024)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Sample:
    op: str
    status: int
    started: float
    seconds: float


@dataclass
class Shared:
    """What the clients know of each other's work: alert ids to read, amend and acknowledge."""

    published: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # publisher -> ids
    visible: list[str] = field(default_factory=list)
    drafts: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    samples: list[Sample] = field(default_factory=list)
    baseline: list[Sample] = field(default_factory=list)
    last_sequence: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Processes:
    def __init__(self, workdir: Path, env: dict[str, str], *, web_workers: int, worker_concurrency: int) -> None:
        self.workdir = workdir
        self.env = env
        self.web = Gunicorn(env=env, workdir=workdir, workers=web_workers)
        self.worker_concurrency = worker_concurrency
        self.workers: list[subprocess.Popen[bytes]] = []
        self.beat: subprocess.Popen[bytes] | None = None
        self._counter = 0

    def _spawn(self, argv: list[str], name: str) -> subprocess.Popen[bytes]:
        handle = (self.workdir / f"{name}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *argv], cwd=ROOT, env=self.env,
                                stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self) -> None:
        self._counter += 1
        self.workers.append(self._spawn(
            ["worker", "--loglevel", "INFO", "--concurrency", str(self.worker_concurrency),
             "--hostname", f"soak{self._counter}@%h", "--without-gossip", "--without-mingle"], f"worker{self._counter}"))

    def start(self) -> None:
        self.web.start()
        self.start_worker()
        self.start_worker()
        self.beat = self._spawn(["beat", "--loglevel", "INFO", "-s", str(self.workdir / "beat-schedule")], "beat")

    def kill_worker(self) -> int:
        victim = self.workers.pop(0)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)
        return victim.pid

    def stop(self) -> None:
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *([self.beat] if self.beat else [])]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.web.stop()

    def logs(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.workdir.glob("*.log"))


# --- the clients ----------------------------------------------------------------------------------------

WEIGHTS = {
    "alert list": 20, "alert detail": 20, "inbox": 10, "events feed": 10, "tool performance": 6,
    "notifications": 4, "draft": 8, "publish": 6, "amend": 3, "acknowledge": 8, "report": 2,
    "subscription change": 3,
}


def alert_body(tool: str, code: str, n: int) -> dict[str, Any]:
    return {
        "title": f"Soak alert {code}-{n}: missed nodules after firmware update",
        "summary": "Sensitivity for sub-6 mm nodules fell after a vendor firmware update.",
        "description": "Post-market surveillance found missed nodules on reconstructed series.",
        "alert_type": "performance_degradation", "severity": random.choice(["low", "medium", "high", "critical"]),
        "affected_tools": [{"tool": tool, "versions": ">=2.0,<2.4"}], "affected_jurisdictions": ["GB", "US"],
        "hazard": "Delayed diagnosis.", "harm": "Missed or late treatment.",
        "recommended_actions": "Double-read CT studies acquired after the update.", "imdrf_codes": [],
        "publisher_reference": f"SOAK-{code}-{n}-{random.randrange(10**9)}",
        "distribution": "network", "recipients": [],
    }


def report_body(tool: str, country: str) -> dict[str, Any]:
    return {
        "tool": tool, "tool_version": "2.1", "period_start": "2026-01-01", "period_end": "2026-06-30",
        "setting": "Screening programme", "country": country, "population": "Adults 50-74", "sample_size": 5000,
        "method": "Audit against double reading", "data_source": "Programme audit database",
        "metrics": [{"metric": "sensitivity", "value": 0.86, "ci_low": 0.83, "ci_high": 0.89, "numerator": 860,
                     "denominator": 1000}],
        "subgroups": [], "distribution": "network", "recipients": [],
    }


async def client_loop(
    client: httpx.AsyncClient, code: str, country: str, tokens: dict[str, Any], tools: list[str], shared: Shared,
    stop_at: float, think: float, index: int,
) -> None:
    publisher = {"Authorization": f"Bearer {tokens['publisher']}"}
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    ops, weights = zip(*WEIGHTS.items(), strict=True)
    counter = 0
    while time.monotonic() < stop_at:
        await asyncio.sleep(random.uniform(0, 2 * think))
        op = random.choices(ops, weights)[0]
        counter += 1
        started = time.monotonic()
        status = 0
        try:
            if op == "alert list":
                status = (await client.get("/api/v1/alerts/?limit=20", headers=publisher)).status_code
            elif op == "alert detail":
                if not shared.visible:
                    continue
                status = (await client.get(f"/api/v1/alerts/{random.choice(shared.visible)}/", headers=publisher)).status_code
            elif op == "inbox":
                status = (await client.get("/api/v1/inbox/?limit=20", headers=publisher)).status_code
            elif op == "events feed":
                response = await client.get(f"/api/v1/events/?after={shared.last_sequence[code]}&limit=50", headers=publisher)
                status = response.status_code
                if status == 200 and response.json()["results"]:
                    shared.last_sequence[code] = response.json()["results"][-1]["sequence"]
            elif op == "tool performance":
                status = (await client.get(f"/api/v1/tools/{random.choice(tools)}/performance/", headers=publisher)).status_code
            elif op == "notifications":
                status = (await client.get("/api/v1/notifications/?limit=20", headers=publisher)).status_code
            elif op == "draft":
                response = await client.post("/api/v1/alerts/", json=alert_body(random.choice(tools), code, index * 10000 + counter),
                                             headers=publisher)
                status = response.status_code
                if status == 201:
                    shared.drafts[code].append(response.json()["id"])
            elif op == "publish":
                if not shared.drafts[code]:
                    continue
                alert_id = shared.drafts[code].pop()
                status = (await client.post(f"/api/v1/alerts/{alert_id}/publish/", json={}, headers=publisher)).status_code
                if status == 200:
                    shared.published[code].append(alert_id)
                    shared.visible.append(alert_id)
            elif op == "amend":
                if not shared.published[code]:
                    continue
                alert_id = random.choice(shared.published[code])
                current = await client.get(f"/api/v1/alerts/{alert_id}/", headers=publisher)
                if current.status_code != 200:
                    status = current.status_code
                else:
                    response = await client.post(
                        f"/api/v1/alerts/{alert_id}/amend/",
                        json={"summary": f"Updated at {time.time():.3f}", "change_summary": "Soak update",
                              "material": random.random() < 0.3},
                        headers={**publisher, "If-Match": current.headers.get("ETag", "")},
                    )
                    status = response.status_code
            elif op == "acknowledge":
                if not shared.visible:
                    continue
                alert_id = random.choice(shared.visible)
                state = random.choice(["received", "assessing", "action_taken", "not_applicable"])
                body: dict[str, Any] = {"state": state}
                if state == "action_taken":
                    body.update(comment="Double reading introduced at every site.", decision="adopt",
                                rationale="The same action applies in our jurisdiction.")
                status = (await client.put(f"/api/v1/alerts/{alert_id}/acknowledgement/", json=body,
                                           headers=publisher)).status_code
            elif op == "report":
                response = await client.post("/api/v1/reports/", json=report_body(random.choice(tools), country),
                                             headers=publisher)
                status = response.status_code
                if status == 201:
                    status = (await client.post(f"/api/v1/reports/{response.json()['id']}/publish/", json={},
                                                headers=publisher)).status_code
            elif op == "subscription change":
                status = (await client.patch(f"/api/v1/subscriptions/{tokens['subscription']}/",
                                             json={"min_severity": random.choice(["low", "medium", "high", None])},
                                             headers=admin)).status_code
        except httpx.HTTPError:
            status = -1  # the connection failed or timed out
        shared.samples.append(Sample(op, status, started, time.monotonic() - started))


# --- the run -------------------------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def progress(shared: Shared, stop_at: float, began: float, receiver_log: Path) -> None:
    while time.monotonic() < stop_at:
        await asyncio.sleep(10)
        samples = shared.samples
        elapsed = time.monotonic() - began
        errors = sum(1 for s in samples if s.status >= 500 or s.status < 0)
        received = sum(1 for _ in receiver_log.open()) if receiver_log.exists() else 0
        print(f"  t={elapsed:5.0f}s  requests={len(samples):6d}  rps={len(samples) / elapsed:6.1f}  5xx/failed={errors:4d}"
              f"  webhooks received={received:6d}  load={load_average()}", flush=True)


async def faults(procs: Processes, postgres: PostgresCluster, redis: Any, duration: float, began: float,
                 windows: list[tuple[str, float, float]]) -> None:
    async def at(fraction: float) -> None:
        await asyncio.sleep(max(0.0, began + fraction * duration - time.monotonic()))

    await at(0.35)
    print("  fault: restarting PostgreSQL", flush=True)
    start = time.monotonic()
    await asyncio.to_thread(postgres.stop)
    await asyncio.sleep(5)
    await asyncio.to_thread(postgres.start)
    windows.append(("postgres", start, time.monotonic() + 3))
    print(f"  fault: PostgreSQL back after {time.monotonic() - start:.1f}s", flush=True)

    await at(0.55)
    print("  fault: restarting Redis", flush=True)
    start = time.monotonic()
    await asyncio.to_thread(redis.stop)
    await asyncio.sleep(3)
    await asyncio.to_thread(redis.start)
    windows.append(("redis", start, time.monotonic() + 3))
    print(f"  fault: Redis back after {time.monotonic() - start:.1f}s", flush=True)

    await at(0.75)
    pid = procs.kill_worker()
    print(f"  fault: SIGKILLed Celery worker {pid}; starting a replacement in 5 s", flush=True)
    await asyncio.sleep(5)
    procs.start_worker()


async def run_load(base_url: str, seed: dict[str, Any], countries: dict[str, str], procs: Processes,
                   postgres: PostgresCluster, redis: Any, *, clients: int, duration: float, think: float,
                   receiver_log: Path) -> tuple[Shared, list[tuple[str, float, float]], float, float]:
    shared = Shared()
    _, _, raw = http("GET", base_url + "/api/v1/alerts/?limit=200",
                          token=seed["members"]["MHRA"]["publisher"])
    shared.visible.extend(item["id"] for item in json.loads(raw)["results"])
    windows: list[tuple[str, float, float]] = []
    # Baseline, same run: one client alone, the same list and detail reads back to back.
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30.0)) as alone:
        headers = {"Authorization": f"Bearer {seed['members']['FDA']['publisher']}"}
        for n in range(120):
            path = "/api/v1/alerts/?limit=20" if n % 2 else f"/api/v1/alerts/{random.choice(shared.visible)}/"
            started = time.monotonic()
            response = await alone.get(path, headers=headers)
            if n >= 20:  # the first ones warm the workers up
                shared.baseline.append(Sample("baseline read", response.status_code, started, time.monotonic() - started))
    limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients + 10)
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30.0), limits=limits) as client:
        began = time.monotonic()
        stop_at = began + duration
        codes = list(seed["members"])
        tasks = [
            asyncio.create_task(client_loop(client, codes[i % len(codes)], countries[codes[i % len(codes)]],
                                            seed["members"][codes[i % len(codes)]], seed["tools"], shared, stop_at,
                                            think, i))
            for i in range(clients)
        ]
        tasks.append(asyncio.create_task(progress(shared, stop_at, began, receiver_log)))
        tasks.append(asyncio.create_task(faults(procs, postgres, redis, duration, began, windows)))
        await asyncio.gather(*tasks)
        ended = time.monotonic()
    return shared, windows, began, ended


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


def report(shared: Shared, windows: list[tuple[str, float, float]], began: float, ended: float, reconcile: dict[str, Any],
           receiver_log: Path, postgres_log: str, audit: subprocess.CompletedProcess[str], drained_at: float | None,
           load_after: str, logs: str) -> None:
    samples = shared.samples
    duration = ended - began
    print(f"\n== latency per operation (ms), {len(samples)} requests in {duration:.0f}s = {len(samples) / duration:.1f} req/s")
    print(f"{'operation':22s} {'count':>6s} {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s}  statuses")
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_op[sample.op].append(sample)

    def outside(sample: Sample) -> bool:
        """Neither started nor finished inside an outage window."""
        return not any(sample.started <= end and sample.started + sample.seconds >= start for _, start, end in windows)

    for op in WEIGHTS:
        rows = by_op.get(op, [])
        if not rows:
            continue
        ms = [s.seconds * 1000 for s in rows if outside(s) and 0 < s.status < 500]
        statuses = Counter(s.status for s in rows)
        print(f"{op:22s} {len(rows):6d} {percentile(ms, 50):7.1f} {percentile(ms, 95):7.1f} {percentile(ms, 99):7.1f} "
              f"{max(ms) if ms else float('nan'):7.1f}  {dict(sorted(statuses.items()))}")
    reads = [s.seconds * 1000 for s in samples if s.op in ("alert list", "alert detail") and outside(s) and 0 < s.status < 500]
    print(f"list+detail reads outside outages: p50 {percentile(reads, 50):.1f} ms, p99 {percentile(reads, 99):.1f} ms "
          f"(target p99 < 250 ms)")
    if reads:
        print(f"  (mean {statistics.mean(reads):.1f} ms over {len(reads)} reads)")
    alone = [s.seconds * 1000 for s in shared.baseline if s.status == 200]
    if alone and reads:
        print(f"baseline (one client alone, same run): p50 {percentile(alone, 50):.1f} ms, p99 {percentile(alone, 99):.1f} ms; "
              f"under load p50 x{percentile(reads, 50) / percentile(alone, 50):.1f}, "
              f"p99 x{percentile(reads, 99) / percentile(alone, 99):.1f}")

    server_errors_inside = [s for s in samples if (s.status >= 500 or s.status < 0) and not outside(s)]
    server_errors_outside = [s for s in samples if (s.status >= 500 or s.status < 0) and outside(s)]
    print("\n== faults")
    for name, start, end in windows:
        inside = [s for s in samples if s.started <= end and s.started + s.seconds >= start]
        print(f"{name:9s} window {start - began:6.1f}s .. {end - began:6.1f}s: {len(inside)} requests, "
              f"statuses {dict(sorted(Counter(s.status for s in inside).items()))}")
    print(f"5xx or failed connections outside the outage windows: {len(server_errors_outside)} "
          f"{dict(Counter((s.op, s.status) for s in server_errors_outside))}")
    print(f"5xx inside the windows: {len(server_errors_inside)}, all 503: "
          f"{all(s.status == 503 for s in server_errors_inside)} {dict(Counter(s.status for s in server_errors_inside))}")
    deadlocks = postgres_log.count("deadlock detected")
    print(f"deadlocks in the PostgreSQL log: {deadlocks}; lock waits logged: {postgres_log.count('still waiting for')}")
    print(f"load average after the run: {load_after}")

    print("\n== reconciliation")
    received: dict[tuple[str, str], set[str]] = defaultdict(set)
    receipts = Counter()
    for line in receiver_log.open():
        path, webhook_id, event_id = json.loads(line)
        received[(path.rsplit("/", 1)[-1], event_id)].add(webhook_id)
        receipts[webhook_id] += 1
    webhooks = reconcile["webhooks"]
    not_succeeded = [w for w in webhooks if w[3] != "succeeded"]
    not_received = [w for w in webhooks if w[0] not in receipts]
    two_ids = {key: ids for key, ids in received.items() if len(ids) > 1}
    duplicates = sum(count - 1 for count in receipts.values() if count > 1)
    print(f"drained: {'yes' if drained_at else 'NO'}; undispatched events {reconcile['undispatched']}, open deliveries {reconcile['open']}")
    print(f"webhook deliveries: {len(webhooks)}; not succeeded: {len(not_succeeded)}; never received: {len(not_received)}")
    print(f"receiver: {sum(receipts.values())} requests, {duplicates} duplicates (same webhook-id), "
          f"{len(two_ids)} (endpoint, event) pairs with two different webhook-ids")
    print(f"network-wide alert.published events: {reconcile['network_alert_events']}; missing an endpoint: "
          f"{reconcile['missing_fanout_count']} {reconcile['missing_fanout'][:3]}")
    print(f"published alerts: {reconcile['alerts']}; requested acknowledgements: {reconcile['acks_requested']}; "
          f"alerts missing one: {reconcile['missing_acks_count']} {reconcile['missing_acks'][:3]}")
    print(f"verify_audit_log: exit {audit.returncode}: {(audit.stdout or audit.stderr).strip().splitlines()[-1:]}")
    lost = len(not_succeeded) + len(not_received) + len(two_ids) + reconcile["missing_fanout_count"]
    print(f"\nVERDICT: lost deliveries {lost}, missing acknowledgements {reconcile['missing_acks_count']}, deadlocks {deadlocks}, "
          f"5xx outside outages {len(server_errors_outside)}, audit {'ok' if audit.returncode == 0 else 'BROKEN'}")
    tracebacks = logs.count("Traceback")
    print(f"tracebacks in the service logs: {tracebacks} (expected during the outage windows only)")


if __name__ == "__main__":
    sys.exit(main())
