"""Benchmark (not a test): signal evaluation scoped to each member's evidence, with many members.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/signals.py [--members 50] [--reports 100 300]

Works in a throw-away database (test_<name>, created and dropped here). One tool, `--members`
active members, and for each size that many published reports, one in ten restricted to one to
three random members (so members differ in what they may see). It times `signals_evaluate` — which
reads each report once into the audience that sees it and evaluates each group of members with the
same evidence from its audiences' sums (alerts/services/signal_evidence.py) — against a
baseline measured in the same run: evaluating every member's own evidence separately (what a
naive per-member design does: one evidence query and one pooling per member). Medians of several
runs, the number of SQL queries of each, and the number of distinct evidence sets.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Authorization, BaselineMetric, Report, ReportMetric, ReportRecipient, Tool
from alerts.selectors import evidence_visible_to
from alerts.services.signal_evidence import evidence_gather
from alerts.services.signal_findings import baselines_of, findings_for
from alerts.services.signals import signals_evaluate
from exchange.models import Member


def _timed(func: object, runs: int) -> tuple[float, int]:
    times, queries = [], 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            func()  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    return statistics.median(times), queries


def _populate(tool: Tool, members: list[Member], count: int, rng: random.Random) -> None:
    reports, metrics, recipients = [], [], []
    for i in range(count):
        publisher = rng.choice(members)
        restricted = i % 10 == 0
        report = Report(publisher=publisher, tool=tool, tool_version="2.1", period_start="2026-01-01",
                        period_end="2026-06-30", setting="Screening", country="GB", sample_size=1000,
                        status="published", distribution="restricted" if restricted else "network")
        reports.append(report)
        k = rng.randint(780, 860)
        metrics.append(ReportMetric(report=report, metric="sensitivity", value=k / 1000, numerator=k, denominator=1000,
                                    ci_method="wilson"))
        if restricted:
            recipients += [ReportRecipient(report=report, member=m)
                           for m in rng.sample([m for m in members if m != publisher], rng.randint(1, 3))]
    Report.objects.bulk_create(reports)
    ReportMetric.objects.bulk_create(metrics)
    ReportRecipient.objects.bulk_create(recipients)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--reports", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server.")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, load "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; members {args.members}")
        rng = random.Random(10)
        members = [Member.objects.create(code=f"REG{i:02d}", name=f"Regulator {i}", country="GB")
                   for i in range(args.members)]
        margin = float(settings.SIGNAL_MARGIN)
        print(f"{'reports':>8} {'sets':>5} {'grouped ms':>11} {'queries':>8} {'per-member ms':>14} "
              f"{'queries':>8} {'ratio':>6}")
        done = 0
        for size in args.reports:
            tool = Tool.objects.create(name=f"Bench tool {size}", manufacturer="Bench Imaging Ltd",
                                       intended_purpose="Benchmark", clinical_area="radiology")
            auth = Authorization.objects.create(tool=tool, jurisdiction="GB", reference=f"B-{size}",
                                                status="authorised", date="2025-01-01")
            BaselineMetric.objects.create(authorization=auth, metric="sensitivity", value=0.92)
            _populate(tool, members, size, rng)
            done += size
            signals_evaluate(tool_id=tool.pk)  # the first evaluation raises; later ones find no change
            groups = evidence_gather(tool).groups
            grouped_ms, grouped_q = _timed(lambda t=tool: signals_evaluate(tool_id=t.pk), args.runs)

            def per_member(t: Tool = tool) -> None:
                baselines = baselines_of(t)
                for member in members:
                    evidence = list(evidence_visible_to(member=member, tool=t).prefetch_related("metrics__subgroup"))
                    findings_for(t, evidence, margin, baselines)

            naive_ms, naive_q = _timed(per_member, args.runs)
            print(f"{size:>8} {len(groups):>5} {grouped_ms:>11.1f} {grouped_q:>8} {naive_ms:>14.1f} {naive_q:>8} "
                  f"{naive_ms / grouped_ms:>6.1f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
