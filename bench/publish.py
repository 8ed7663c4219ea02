"""Benchmark (not a test): how long publishing an alert takes as subscriptions grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/publish.py [--sizes 0 10000 100000]

SPEC §7: publishing returns in well under 100 ms whatever the number of subscribers, because
fan-out is asynchronous. For each size this times `alert_publish` (the whole transaction:
reference, revision, audit entry, event, the requested acknowledgements — which asks the
database which members' subscriptions match — and queueing the dispatch on commit) for a series
of network alerts, and prints the median and 95th percentile beside the baseline measured in the
same run with no subscriptions at all. Works in a throw-away database (test_<name>).
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import cProfile
import importlib.util
import os
import platform
import pstats
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # dispatch is queued, never run, here

_spec = importlib.util.spec_from_file_location("bench_recipients", HERE / "recipients.py")
assert _spec is not None
assert _spec.loader is not None
recipients = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recipients)  # sets Django up

from django.db import connection

from alerts.services.alerts import alert_draft_create, alert_publish
from alerts.services.tools import authorization_record, tool_register
from exchange.models import Subscription
from exchange.services.members import user_create


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 10000, 100000])
    parser.add_argument("--alerts", type=int, default=25, help="publications timed per size")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the publications at the largest size and print where the time goes")
    args = parser.parse_args()

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        rng = random.Random(7)
        members = recipients._members()
        publisher_member = next(m for m in members if m.status == "active")
        publisher = user_create(actor=None, email="bench-publisher@bench.example", member=publisher_member,
                                role="publisher")
        tool = tool_register(actor=publisher, name="Bench Tool", manufacturer="Bench Imaging Ltd",
                             clinical_area="radiology")
        authorization_record(actor=publisher, tool=tool, jurisdiction=publisher_member.country,
                             reference="BENCH-1", date=date(2025, 1, 1))
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
              f"Python {platform.python_version()}, database {connection.vendor}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'subscriptions':>14} | {'median ms':>9} {'p95 ms':>8} | {'x baseline':>10}")
        baseline = None
        for size in sorted(args.sizes):
            if size:
                recipients._grow_to(size, members, rng, "specific")
            drafts = [
                alert_draft_create(actor=publisher, data={
                    "title": f"Bench alert {size}-{i}", "alert_type": "performance_degradation",
                    "severity": "high", "affected_tools": [{"tool": tool.pk, "versions": ""}],
                    "affected_jurisdictions": rng.sample(recipients.COUNTRIES, 3), "distribution": "network",
                })
                for i in range(args.alerts + 3)
            ]
            times = []
            profiler = cProfile.Profile() if args.profile and size == max(args.sizes) else None
            for index, draft in enumerate(drafts):
                if profiler is not None and index >= 3:
                    profiler.enable()
                started = time.perf_counter()
                alert_publish(actor=publisher, alert=draft)
                elapsed = (time.perf_counter() - started) * 1000
                if profiler is not None:
                    profiler.disable()
                if index >= 3:  # the first few warm caches and connections
                    times.append(elapsed)
            median = statistics.median(times)
            baseline = baseline or median
            print(f"{Subscription.objects.count():>14,} | {median:>9.1f} {_percentile(times, 0.95):>8.1f} | "
                  f"{median / baseline:>10.2f}", flush=True)
            if profiler is not None:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
