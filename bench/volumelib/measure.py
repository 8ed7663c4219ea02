"""What bench/volume.py measures on a built network: requests through the real stack (middleware,
authentication, DRF or the portal's views) in this process, each repeated, with its p50/p95/p99 and
the number of SQL queries one request runs; and the periodic work (signal sweep, retention,
verify_audit_log, publishing)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.volumelib.build import Built
from config.heap import freeze_loaded_heap
from exchange.models import Event, User
from exchange.services.tokens import token_issue

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Figure:
    name: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    queries: int | None
    note: str = ""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(name: str, call: Callable[[], Any], repeats: int, note: str = "") -> Figure:
    call()  # warm: the first call pays for imports and caches
    with CaptureQueriesContext(connection) as captured:
        call()
    queries = len(captured.captured_queries)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return Figure(name, statistics.median(samples), percentile(samples, 0.95), percentile(samples, 0.99), queries, note)


def _client_get(client: Client, path: str, **headers: Any) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(path, **headers)
        if response.status_code != 200:
            raise SystemExit(f"volume: GET {path} answered {response.status_code}: {response.content[:300]!r}")
        return response
    return call


def requests_measure(built: Built, repeats: int) -> list[Figure]:
    member = built.members[0]  # the busiest publisher (Zipf): the largest inbox and dashboard
    user = User.objects.filter(member=member, role="admin").order_by("id").first()
    assert user is not None
    token = token_issue(actor=None, user=user, name="volume").value
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    portal = Client()
    portal.force_login(user)
    alert_id = built.alert_ids[0]
    old_sequence = 1
    first_event = Event.objects.order_by("created_at").values_list("created_at", flat=True).first()
    # As a gunicorn worker runs once the application is loaded (gunicorn.conf.py): collections skip the
    # loaded heap, the young threshold is 50,000 (config/heap.py). Without it one request in ten or so
    # paid a full collection of this process's heap (~150 ms at every scale).
    api.get("/api/v1/alerts/")  # the request path's modules loaded first, as a worker's first request would
    portal.get("/")
    freeze_loaded_heap()
    figures = [
        timed("API inbox", _client_get(api, "/api/v1/inbox/"), repeats),
        timed("portal inbox", _client_get(portal, "/"), repeats),
        timed("API alerts list", _client_get(api, "/api/v1/alerts/"), repeats),
    ]
    filters = {
        "status": "published", "severity": "high", "alert_type": "recall", "publisher": built.members[1].code,
        "tool": str(built.tool_ids[0]), "jurisdiction": "GB", "published_after": "2025-01-01",
        "published_before": "2019-01-01",
    }
    for name, value in filters.items():
        figures.append(timed(f"API alerts ?{name}=", _client_get(api, f"/api/v1/alerts/?{name}={value}"), repeats))
    figures += [
        timed("API alerts ?search=", _client_get(api, "/api/v1/alerts/?search=missed+findings"), repeats),
        timed("portal alerts search", _client_get(portal, "/alerts/?search=missed+findings"), repeats),
        timed("API alert detail", _client_get(api, f"/api/v1/alerts/{alert_id}/"), repeats),
        timed("portal alert page", _client_get(portal, f"/alerts/{alert_id}/"), repeats),
        timed("portal dashboard", _client_get(portal, "/dashboard/"), repeats),
        timed("API pooled trend (busiest tool)",
              _client_get(api, f"/api/v1/tools/{built.busiest_tool}/performance/"), repeats),
        timed("portal tool page (busiest tool)", _client_get(portal, f"/tools/{built.busiest_tool}/"), repeats),
        timed("API events catch-up (oldest)", _client_get(api, f"/api/v1/events/?after={old_sequence}&limit=100"),
              repeats, note=f"events since {first_event:%Y-%m-%d}" if first_event else ""),
    ]
    return figures


def sweep_measure(limit_seconds: float, busiest_tool: Any) -> list[Figure]:
    """The full sweep over every tool (timed at most `limit_seconds`, then extrapolated; the busiest
    tool first, so that its signals exist), then the periodic sweep as beat runs it (only tools with
    new evidence): with none, and with one new report on the busiest tool."""
    from django.utils import timezone

    from alerts.models import Report, Signal
    from alerts.services.signals import signals_evaluate

    if limit_seconds <= 0:  # only the sweep as beat runs it with nothing new (the others are linear in reports)
        return [_sweep_timed("signal sweep, no new evidence")]
    others = [t for t in Report.objects.order_by().values_list("tool_id", flat=True).distinct() if t != busiest_tool]
    started = time.perf_counter()
    signals_evaluate(tool_id=busiest_tool)
    busiest_seconds = time.perf_counter() - started
    started = time.perf_counter()
    done = 0
    for tool_id in others:
        if time.perf_counter() - started > limit_seconds:
            break
        signals_evaluate(tool_id=tool_id)
        done += 1
    seconds = time.perf_counter() - started
    # The busiest tool as timed, the others extrapolated from those timed (never from the busiest).
    whole = busiest_seconds + seconds * len(others) / max(done, 1)
    note = (f"busiest tool {busiest_seconds:.1f} s, then {done:,} of {len(others):,} others"
            + ("" if done == len(others) else ", extrapolated"))
    full = Figure("signal sweep, full (every tool)", whole * 1000, whole * 1000, whole * 1000, None, note)

    # Tools the full sweep did not reach count as evaluated at load time (bench/volumelib/build.py).
    figures = [_sweep_timed("signal sweep, no new evidence")]
    newest = Report.objects.filter(tool_id=busiest_tool).order_by("-period_end").values_list("pk", flat=True).first()
    Report.objects.filter(pk=newest).update(updated_at=timezone.now())  # as publishing writes it
    busiest_reports = Report.objects.filter(tool_id=busiest_tool).count()
    figure = _sweep_timed("signal sweep, one report rewritten")
    figure.note += f" (the busiest tool: {busiest_reports:,} reports; findings unchanged)"
    _report_added(busiest_tool)
    before = timezone.now()
    added = _sweep_timed("signal sweep, one new report")
    updated = Signal.objects.filter(tool_id=busiest_tool, status="open", updated_at__gte=before).count()
    added.note += f" (a network report on the busiest tool: {updated:,} of its signals follow it)"
    return [*figures, figure, added, full]


def _report_added(tool_id: Any) -> None:
    """A new published network report on the tool, its rows those of the tool's newest network report (so
    that it moves every finding of those metrics), as publishing leaves it (not yet pooled)."""
    import uuid

    from django.utils import timezone

    from alerts.models import Report, ReportMetric, ReportSubgroup

    source = Report.objects.filter(tool_id=tool_id, status="published", distribution="network",
                                   supersedes__isnull=True).order_by("-period_end").first()
    assert source is not None, "the busiest tool has no network report"
    rows = list(ReportMetric.objects.filter(report=source).select_related("subgroup"))
    source.pk, source.created_at = uuid.uuid4(), timezone.now()
    source.updated_at = source.published_at = source.created_at
    source.signed_content, source.signature, source.pooled = None, None, False
    source.save(force_insert=True)
    subgroups: dict[int, ReportSubgroup] = {}
    for row in rows:
        if row.subgroup is not None and row.subgroup_id not in subgroups:
            subgroups[row.subgroup_id] = ReportSubgroup.objects.create(
                report=source, label=row.subgroup.label, dimension=row.subgroup.dimension)
        row.pk, row.report = None, source
        row.subgroup = subgroups.get(row.subgroup_id) if row.subgroup_id else None
        row.save(force_insert=True)


def _sweep_timed(name: str) -> Figure:
    from alerts.services.signals import signals_sweep

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        result = signals_sweep()
    ms = (time.perf_counter() - started) * 1000
    return Figure(name, ms, ms, ms, len(captured.captured_queries), f"{result['evaluated']:,} tools evaluated")


def retention_measure(max_seconds: float = 3600) -> Figure:
    """The retention sweep over the events older than retention (a tenth of those loaded), for at most
    `max_seconds` (as beat's runs are bounded); the note gives how much it removed and the longest
    batch, its own transaction: the longest any lock it takes is held."""
    from unittest import mock

    from exchange.services import retention

    batches: list[float] = []
    real = retention._events_batch_delete

    def timed_batch(ids: list[Any]) -> tuple[int, int]:
        started = time.perf_counter()
        try:
            return real(ids)
        finally:
            batches.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    with mock.patch.object(retention, "_events_batch_delete", timed_batch):
        stats = retention.retention_sweep(max_seconds=max_seconds)
    ms = (time.perf_counter() - started) * 1000
    longest = max(batches, default=0.0)
    return Figure("retention sweep", ms, ms, ms, None,
                  f"{stats.events:,} events, {stats.deliveries:,} deliveries in {len(batches):,} batches, "
                  f"longest {longest:.0f} ms")


# Run in a process of its own: the command as an operator runs it, timed from inside (Django's start
# left out), and its peak memory read from VmHWM (ru_maxrss of a child would carry this process's
# size across fork and exec).
_VERIFY = """
import io, os, resource, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.core.management import call_command
out = io.StringIO()
started = time.perf_counter()
call_command("verify_audit_log", stdout=out)
seconds = time.perf_counter() - started
hwm = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest worker's peak (KiB)
print(seconds, int(hwm) // 1024, workers // 1024, out.getvalue().strip().replace(chr(10), " "))
"""


def verify_audit_measure(env: dict[str, str]) -> Figure:
    result = subprocess.run([sys.executable, "-c", _VERIFY], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"volume: verify_audit_log failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    seconds_text, peak_mb, worker_mb, verdict = result.stdout.strip().splitlines()[-1].split(" ", 3)
    seconds = float(seconds_text)
    from exchange.models import AuditEntry

    entries = AuditEntry.objects.count()
    intact = "chain intact" if verdict.startswith("Audit log verified") else "no verdict printed"
    return Figure("verify_audit_log", seconds * 1000, seconds * 1000, seconds * 1000, None,
                  f"{entries:,} entries, {entries / seconds:,.0f}/s, peak {peak_mb} MB"
                  + (f" (each worker process at most {worker_mb} MB)" if worker_mb != "0" else "") + f", {intact}")


def publish_measure(built: Built, repeats: int) -> Figure:
    """alert_publish alone (drafts are made first), as bench/publish.py times it."""
    from alerts.services.alerts import alert_draft_create, alert_publish

    user = User.objects.filter(member=built.members[0], role="publisher").order_by("id").first()
    assert user is not None
    drafts = [
        alert_draft_create(actor=user, data={
            "title": f"Volume publication {n}", "alert_type": "software_defect", "severity": "high",
            "affected_tools": [{"tool": built.tool_ids[0], "versions": ""}], "affected_jurisdictions": ["GB"],
            "distribution": "network",
        })
        for n in range(repeats + 2)
    ]
    alert_publish(actor=user, alert=drafts.pop())  # warm
    with CaptureQueriesContext(connection) as captured:
        alert_publish(actor=user, alert=drafts.pop())
    samples = []
    for draft in drafts:
        started = time.perf_counter()
        alert_publish(actor=user, alert=draft)
        samples.append((time.perf_counter() - started) * 1000)
    return Figure("publish an alert", statistics.median(samples), percentile(samples, 0.95),
                  percentile(samples, 0.99), len(captured.captured_queries))


def environment() -> dict[str, str]:
    return {**os.environ}
