"""The soak's own stack and what it runs inside it: the Celery processes beside gunicorn, a webhook
receiver, and the Django scripts that seed the network and reconcile it afterwards.

PostgreSQL, Redis and gunicorn come from tests/integration (the same throw-away servers the
integration tests start); this module adds the process set the faults act on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.integration.stack import ROOT, Gunicorn

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
from alerts.services.ack_requests import _requested_member_ids
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
