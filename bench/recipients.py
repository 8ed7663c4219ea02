"""Benchmark (not a test): how long the database takes to find the recipients of one event.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sax .venv/bin/python bench/recipients.py [--sizes 1000 10000 100000]

Works in a throw-away database (test_<name>, created and dropped here). For each size it creates
that many subscriptions of 200 members with a realistic spread of filters, then times
`subscriptions_matching(event)` (one SQL query) for a few alert events: the median of several
runs, with the number of recipients found. SPEC §7 target: tens of milliseconds at 100,000.
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
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction

from exchange.choices import EVENT_TYPE_BITS
from exchange.models import Event, Member, Subscription, SubscriptionTerm
from exchange.services.matching import (
    LIST_FILTERS,
    _matching_sql,
    dimension_bit,
    members_matching,
    subscriptions_matching,
)
from exchange.services.subscriptions import terms_for
from exchange.vocabularies import ALERT_TYPES, SEVERITIES

MEMBERS = 200
TOOLS = [str(uuid.UUID(int=random.Random(i).getrandbits(128))) for i in range(5000)]
MANUFACTURERS = [f"manufacturer {i}" for i in range(500)]
CLINICAL_AREAS = [
    "radiology", "pathology", "cardiology", "dermatology", "oncology", "neurology", "ophthalmology",
    "emergency medicine", "intensive care", "primary care", "mental health", "obstetrics", "urology",
    "gastroenterology", "respiratory",
]
COUNTRIES = [f"{a}{b}" for a in "ABCDEFGHIJ" for b in "ABCDEF"]  # 60 jurisdictions


def _members() -> list[Member]:
    members = [
        Member(code=f"B{i:04d}", name=f"Bench regulator {i}", country=COUNTRIES[i % len(COUNTRIES)],
               status="suspended" if i % 40 == 39 else "active")
        for i in range(MEMBERS)
    ]
    Member.objects.bulk_create(members, ignore_conflicts=True)
    return list(Member.objects.filter(code__startswith="B").order_by("code"))


def _filters(rng: random.Random, codes: list[str], profile: str) -> dict[str, list[str]]:
    """The list filters of one subscription.

    "specific": each subscription watches what it cares about (one to three of: tools,
    jurisdictions, clinical areas, manufacturers, alert types, publishers); 2% have no list filter.
    "broad": each filter is present independently, so about a fifth have no list filter at all.
    """
    pools: dict[str, tuple[list[str], int]] = {
        "alert_types": (list(ALERT_TYPES), 3), "tools": (TOOLS, 5), "manufacturers": (MANUFACTURERS, 3),
        "clinical_areas": (CLINICAL_AREAS, 2), "jurisdictions": (COUNTRIES, 3), "publishers": (codes, 3),
    }
    if profile == "specific":
        chosen: set[str] = set()
        if rng.random() >= 0.02:
            weights = {"tools": 40, "jurisdictions": 20, "clinical_areas": 15, "manufacturers": 15,
                       "alert_types": 5, "publishers": 5}
            chosen = set(rng.choices(list(weights), weights=list(weights.values()), k=rng.randint(1, 3)))
    else:
        odds = {"alert_types": 0.2, "tools": 0.3, "manufacturers": 0.2, "clinical_areas": 0.25,
                "jurisdictions": 0.3, "publishers": 0.15}
        chosen = {field for field, p in odds.items() if rng.random() < p}
    return {
        field: rng.sample(pool, rng.randint(1, most)) if field in chosen else []
        for field, (pool, most) in pools.items()
    }


def _subscription(
    rng: random.Random, member: Member, codes: list[str], profile: str
) -> tuple[Subscription, list[SubscriptionTerm]]:
    roll = rng.random()
    event_types = (
        ["alert.published", "alert.amended"] if roll < 0.7 else [] if roll < 0.9 else ["report.published"]
    )
    values = _filters(rng, codes, profile)
    severity = rng.choice([None, None, "low", "medium", "high", "critical"])
    subscription = Subscription(
        member=member, name="bench", active=rng.random() < 0.9, event_types=event_types,
        event_type_mask=sum(EVENT_TYPE_BITS[t] for t in event_types), min_severity=severity,
        min_severity_rank=SEVERITIES.rank(severity),
        authorised_in_my_jurisdiction=rng.random() < 0.2, **values,
    )
    subscription.term_mask = sum(dimension_bit(f.dimension) for f in LIST_FILTERS if values[f.field])
    return subscription, terms_for(subscription)


def _grow_to(size: int, members: list[Member], rng: random.Random, profile: str) -> None:
    codes = [m.code for m in members]
    missing = size - Subscription.objects.count()
    while missing > 0:
        chunk = min(missing, 5000)
        rows = [_subscription(rng, rng.choice(members), codes, profile) for _ in range(chunk)]
        with transaction.atomic():
            Subscription.objects.bulk_create([s for s, _ in rows], batch_size=1000)
            SubscriptionTerm.objects.bulk_create([t for _, terms in rows for t in terms], batch_size=2000)
        missing -= chunk
    if connection.vendor == "postgresql":
        # What autovacuum does on its own in a live database: statistics, and the visibility map
        # that lets the covering indexes answer without visiting the table.
        with connection.cursor() as cursor:
            for table in ("exchange_subscription", "exchange_subscriptionterm", "exchange_member"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def _events(rng: random.Random, members: list[Member]) -> list[Event]:
    events = []
    for index in range(5):
        publisher = rng.choice(members).code
        events.append(Event(
            sequence=index + 1, type="alert.published", audience_kind="network", object_type="alert",
            object_id=str(uuid.uuid4()), publisher_code=publisher,
            facets={
                "alert_type": rng.choice(list(ALERT_TYPES)), "severity": rng.choice(list(SEVERITIES)),
                "tools": rng.sample(TOOLS, 2), "manufacturers": rng.sample(MANUFACTURERS, 1),
                "clinical_areas": rng.sample(CLINICAL_AREAS, 1), "jurisdictions": rng.sample(COUNTRIES, 3),
                "authorised_in": rng.sample(COUNTRIES, 5), "publisher": publisher,
            },
        ))
    return events


def _time(fn, event: Event, repeats: int) -> tuple[float, int]:
    timings = []
    found = 0
    for _ in range(repeats):
        started = time.perf_counter()
        found = len(fn(event))
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--profiles", nargs="+", default=["specific", "broad"], choices=["specific", "broad"])
    parser.add_argument("--explain", action="store_true", help="print the query plan at the largest size")
    args = parser.parse_args()

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        rng = random.Random(42)
        members = _members()
        events = _events(rng, members)
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
              f"Python {platform.python_version()}, database {connection.vendor}; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("members: members_matching (distinct recipient members); "
              "subscriptions: subscriptions_matching (every matching subscription)")
        for profile in args.profiles:
            Subscription.objects.all().delete()
            print(f"\nprofile {profile!r} (median of {len(events)} events x {args.repeats} runs)")
            print(f"{'subscriptions':>14} | {'members ms':>10} {'recipients':>10} | "
                  f"{'subs ms':>8} {'matches':>8} | {'worst ms':>8}")
            for size in sorted(args.sizes):
                _grow_to(size, members, rng, profile)
                by_member = [_time(members_matching, event, args.repeats) for event in events]
                by_subscription = [_time(subscriptions_matching, event, args.repeats) for event in events]
                print(
                    f"{size:>14,} | {statistics.median(r[0] for r in by_member):>10.1f} "
                    f"{int(statistics.median(r[1] for r in by_member)):>10,} | "
                    f"{statistics.median(r[0] for r in by_subscription):>8.1f} "
                    f"{int(statistics.median(r[1] for r in by_subscription)):>8,} | "
                    f"{max(r[0] for r in by_member + by_subscription):>8.1f}"
                )
        if args.explain and connection.vendor == "postgresql":
            sql, params = _matching_sql(events[0]) or ("", [])
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql, params)
                print("\n".join(row[0] for row in cursor.fetchall()))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
