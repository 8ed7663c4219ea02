"""Benchmark (not a test): "possibly related" alerts at 10,000 alerts (SPEC §10.6: under 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/related.py [--alerts 10000]

Works in a throw-away database (test_<name>, created and dropped here). Creates `--members` regulators,
`--tools` AI tools and `--alerts` published alerts through bulk paths (bulk_create, then the search
service's one-UPDATE vector refresh `alerts_search_refresh`), with titles drawn from a small clinical
vocabulary (so that many titles read alike, the hard case for trigram matching), one or two affected
tools, zero to two IMDRF codes, and one alert in ten restricted to one to three members.

For `--subjects` random alerts, each seen by a random member, it times `alerts.related.alerts_related`
(visibility, the three bounded candidate queries, scoring) against a baseline measured in the same run
on the same subjects: a bare indexed lookup of the visible alerts that share the subject's first tool
(the newest ten). It also times a ranked full-text search for one word of the subject's title (the first
page of 50). Prints p50 and p95 in milliseconds and the ratio to the baseline.
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection
from django.db.models import Exists, OuterRef

from alerts.models import Alert, AlertRecipient, AlertTool, Tool
from alerts.related import alerts_related
from alerts.search import alerts_search, ranked_first
from alerts.selectors import alerts_visible_to
from alerts.services.search import alerts_search_refresh
from exchange.models import Member

PROBLEMS = ["Missed nodules", "False alarms", "Sensitivity drop", "Calibration drift", "Mirrored findings",
            "Delayed scores", "Bias against older patients", "Wrong laterality", "Timeouts", "Silent failures"]
CONTEXTS = ["after scanner firmware update", "on portable radiographs", "in paediatric studies",
            "with one PACS vendor", "at night shifts", "after retraining", "on low-dose CT", "in emergency triage",
            "for dark skin tones", "after version upgrade"]
WORDS = ["sepsis", "mammography", "fracture", "stroke", "retina", "arrhythmia", "melanoma", "pneumothorax"]
CODES = [f"A{n:04d}" for n in range(101, 131)]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(func: Callable[[], object]) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def _populate(members: list[Member], tools: list[Tool], count: int, rng: random.Random) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    alerts, rows, recipients = [], [], []
    for i in range(count):
        publisher = rng.choice(members)
        restricted = i % 10 == 0
        at = start + timedelta(minutes=90 * i)
        alert = Alert(
            publisher=publisher, status="published", revision=1, reference=f"SAX-2026-{i + 1:06d}",
            title=f"{rng.choice(PROBLEMS)} {rng.choice(CONTEXTS)} ({rng.choice(WORDS)})",
            summary=f"{rng.choice(PROBLEMS)} reported {rng.choice(CONTEXTS)}.",
            description=f"Post-market surveillance: {rng.choice(PROBLEMS).lower()} {rng.choice(CONTEXTS)}.",
            alert_type="performance_degradation", severity=rng.choice(["low", "medium", "high", "critical"]),
            imdrf_codes=rng.sample(CODES, rng.randint(0, 2)),
            distribution="restricted" if restricted else "network", created_at=at, updated_at=at, published_at=at,
        )
        alerts.append(alert)
        rows += [AlertTool(alert=alert, tool=tool) for tool in rng.sample(tools, rng.randint(1, 2))]
        if restricted:
            recipients += [AlertRecipient(alert=alert, member=m)
                           for m in rng.sample([m for m in members if m != publisher], rng.randint(1, 3))]
    Alert.objects.bulk_create(alerts, batch_size=2000)
    AlertTool.objects.bulk_create(rows, batch_size=5000)
    AlertRecipient.objects.bulk_create(recipients, batch_size=5000)
    alerts_search_refresh(alert_ids=[alert.pk for alert in alerts])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--tools", type=int, default=200)
    parser.add_argument("--subjects", type=int, default=200)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server.")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; PostgreSQL {connection.pg_version}", flush=True)
        rng = random.Random(24)
        members = [Member.objects.create(code=f"REG{i:02d}", name=f"Regulator {i}", country="GB")
                   for i in range(args.members)]
        tools = Tool.objects.bulk_create([
            Tool(name=f"Bench tool {i}", manufacturer="Bench Imaging Ltd", intended_purpose="Benchmark",
                 clinical_area="radiology") for i in range(args.tools)])
        started = time.perf_counter()
        print(f"creating {args.alerts} alerts …", flush=True)
        _populate(members, tools, args.alerts, rng)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE alerts_alert; ANALYZE alerts_alerttool; ANALYZE alerts_alertrecipient")
        print(f"created in {time.perf_counter() - started:.1f} s", flush=True)

        subjects = list(Alert.objects.order_by("?")[: args.subjects])
        related_ms, baseline_ms, search_ms, found = [], [], [], []
        for index, alert in enumerate(subjects, 1):
            member = rng.choice([alert.publisher, *members])
            first_tool = AlertTool.objects.filter(alert=alert).values_list("tool_id", flat=True).first()
            word = alert.title.split()[0]

            def baseline(a: Alert = alert, m: Member = member, t: object = first_tool) -> object:
                sharing = AlertTool.objects.filter(alert=OuterRef("pk"), tool_id=t)
                return list(alerts_visible_to(member=m).filter(Exists(sharing)).exclude(pk=a.pk)
                            .order_by("-published_at").values_list("pk", flat=True)[:10])

            def related(a: Alert = alert, m: Member = member) -> object:
                found.append(len(alerts_related(member=m, alert=a)))
                return found

            def search(m: Member = member, w: str = word) -> object:
                return list(ranked_first(alerts_search(alerts_visible_to(member=m), w), "-created_at", "-pk")[:50])

            baseline_ms.append(_timed(baseline))
            related_ms.append(_timed(related))
            search_ms.append(_timed(search))
            if index % 50 == 0:
                print(f"  {index}/{len(subjects)} subjects", flush=True)

        base50, base95 = _percentile(baseline_ms, 0.5), _percentile(baseline_ms, 0.95)
        print(f"{'query':<28} {'p50 ms':>8} {'p95 ms':>8} {'p50/baseline':>13}")
        for name, values in (("baseline: same-tool lookup", baseline_ms), ("related (alerts_related)", related_ms),
                             ("search (first page of 50)", search_ms)):
            p50, p95 = _percentile(values, 0.5), _percentile(values, 0.95)
            print(f"{name:<28} {p50:>8.1f} {p95:>8.1f} {p50 / base50:>13.1f}")
        print(f"baseline p95 {base95:.1f} ms; related alerts per subject: median {statistics.median(found):.0f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
