"""What bench/volume.py measures on a built network: requests through the real stack (middleware,
authentication, DRF or the portal's views) in this process, each repeated, with its p50/p95/p99 and
the number of SQL queries one request runs; and the periodic work (signal sweep, retention,
verify_audit_log, publishing)."""

from __future__ import annotations

import os
import resource
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


def sweep_measure(limit_seconds: float) -> Figure:
    from alerts.models import Report
    from alerts.services.signals import signals_evaluate

    tool_ids = list(Report.objects.order_by().values_list("tool_id", flat=True).distinct())
    started = time.perf_counter()
    done = 0
    for tool_id in tool_ids:
        signals_evaluate(tool_id=tool_id)
        done += 1
        if time.perf_counter() - started > limit_seconds:
            break
    seconds = time.perf_counter() - started
    whole = seconds * len(tool_ids) / max(done, 1)
    note = f"{done:,} of {len(tool_ids):,} tools" + ("" if done == len(tool_ids) else ", extrapolated")
    return Figure("signal sweep (every tool)", whole * 1000, whole * 1000, whole * 1000, None, note)


def retention_measure() -> Figure:
    from exchange.services.retention import retention_sweep

    started = time.perf_counter()
    stats = retention_sweep()
    ms = (time.perf_counter() - started) * 1000
    return Figure("retention sweep", ms, ms, ms, None, str(stats)[:80])


def verify_audit_measure(env: dict[str, str]) -> Figure:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "manage.py", "verify_audit_log"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        raise SystemExit(f"volume: verify_audit_log failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    from exchange.models import AuditEntry

    entries = AuditEntry.objects.count()
    return Figure("verify_audit_log", seconds * 1000, seconds * 1000, seconds * 1000, None,
                  f"{entries:,} entries, {entries / seconds:,.0f}/s, peak {peak_mb:,.0f} MB")


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
