"""Benchmark (not a test): ten years of a network — the same reads at real volume, and how each cost grows.

    bench/volume.py --scale 0.01 0.1 1.0        # each scale in a fresh database (sax_volume)
    bench/volume.py --scale 0.01 --repeats 5    # the smoke run the test suite makes

Builds a network at each scale (bench/volumelib/build.py and plumbing.py: 1.0 is 60 members, 20,000 tools, 50,000
alerts, 1,500,000 acknowledgements, 1,000,000 reports with 5,000,000 metrics, 10,000
subscriptions, 2,000,000 events, 5,000,000 deliveries, 10,000,000 audit entries) through COPY, then
measures each read a regulator's staff or systems make (p50/p95/p99 and SQL queries per request),
the periodic work, and publishing; at the end, how each figure grows from one scale to the next.
Needs PostgreSQL (DATABASE_URL names the server; the database is `--database`, `sax_volume` unless
given, dropped and re-created at each scale). Prints progress as it goes.
"""

# ruff: noqa: E402  (Django is set up before the project modules are imported)
from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")  # dispatch is queued, never run, here
os.environ["API_RATE_LIMIT"] = "off"
_server = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sax"))
if not _server.scheme.startswith("postgres"):
    raise SystemExit("volume: needs PostgreSQL; set DATABASE_URL=postgres://user@host:port/any")

def _database_name(argv: list[str]) -> str:
    """--database NAME (read before Django starts: the settings take the database from DATABASE_URL)."""
    for index, arg in enumerate(argv):
        if arg == "--database" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--database="):
            return arg.split("=", 1)[1]
    return "sax_volume"


DATABASE = _database_name(sys.argv[1:])
if not DATABASE.replace("_", "").isalnum() or DATABASE.startswith(("test_", "postgres", "template")):
    raise SystemExit(f"volume: --database {DATABASE!r}: letters, digits and _ only, and not a test_ or system name")
os.environ["DATABASE_URL"] = urlunsplit(_server._replace(path=f"/{DATABASE}"))

import django
import psycopg

django.setup()

from django.conf import settings

# Pages name static files as they are (nothing was collected here), as the tests do.
settings.STORAGES = {**settings.STORAGES,
                     "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

import logging

from django.core.management import call_command
from django.db import connection

from bench.volumelib import build, bulk, measure, plumbing

GROWTH_NAMES = ((1.6, "flat"), (4.0, "logarithmic"), (float("inf"), "linear or worse"))


logging.getLogger("config.requests").setLevel(logging.WARNING)  # one line per timed request would drown the figures
logging.getLogger("django.request").setLevel(logging.ERROR)


def _migrations_key() -> str:
    """What the migrated schema depends on: every installed app's migration files and Django's version."""
    from django.apps import apps

    digest = hashlib.sha256(django.get_version().encode())
    for app in sorted(apps.get_app_configs(), key=lambda a: a.label):
        for path in sorted(Path(app.path).glob("migrations/*.py")):
            digest.update(f"{app.label}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _template_build(template: str) -> None:
    """Migrate an empty database once and keep it, named after the migrations, as the template each
    fresh database is copied from (a copy takes ~1 s; migrating takes 15-20 s). Built under a name of
    its own, then renamed: a run building the same template at the same time leaves one of them."""
    admin = urlunsplit(_server._replace(path="/postgres"))
    building = f"{template}_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {building} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {building}")
    connection.close()
    connection.settings_dict["NAME"] = building
    try:
        call_command("migrate", verbosity=0)
    finally:
        connection.close()
        connection.settings_dict["NAME"] = DATABASE
    with psycopg.connect(admin, autocommit=True) as conn:
        try:
            conn.execute(f"ALTER DATABASE {building} RENAME TO {template}")
        except psycopg.errors.DuplicateDatabase:  # another run made it first
            conn.execute(f"DROP DATABASE {building} WITH (FORCE)")


def fresh_database() -> None:
    """--database dropped and created again, migrated: a copy of the template of these migrations
    (made the first time), or migrated in place when the template is busy."""
    connection.close()
    admin = urlunsplit(_server._replace(path="/postgres"))
    template = f"sax_volume_template_{_migrations_key()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
    if not found:
        _template_build(template)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        try:
            conn.execute(f"CREATE DATABASE {DATABASE} TEMPLATE {template}")
            return
        except psycopg.errors.ObjectInUse:  # someone is connected to the template: migrate instead
            conn.execute(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)


def network_build(scale: float, seed: int) -> build.Built:
    sizes = build.Sizes(scale)
    rng = random.Random(seed)
    started = time.perf_counter()
    print(f"\n== scale {scale}: building ({sizes.members} members, {sizes.tools:,} tools, {sizes.alerts:,} alerts, "
          f"{sizes.reports:,} reports, {sizes.events:,} events, {sizes.audit:,} audit entries)", flush=True)
    stages = build.Stages()
    with stages("set-up (members, users, tools, alerts, subscriptions)"):
        members = build.members_create(sizes)
        user_of = build.users_load(sizes, members)
        tools = build.tools_load(sizes, rng, members)
        build.authorizations_load(sizes, rng, members, tools)
        alerts = build.alerts_load(sizes, rng, members, tools, user_of)
        plumbing.subscriptions_load(sizes, rng, members)
    with bulk.loading_session():
        rebuild = bulk.indexes_drop(bulk.DEFERRED)
        with stages("acknowledgements, reports, metrics"):
            build.helpers_create(members, tools, alerts)
            build.acknowledgements_load(sizes)
            busiest = build.reports_load(sizes, tools, members)
        with stages("pooled sums and acknowledgement tallies (set-based)"):  # before the report indexes: cheaper
            build.pooled_sums_rebuild()
            build.ack_tallies_rebuild()
        with stages("events, audiences, deliveries"):
            first_sequence = plumbing.events_load(sizes, rng, members, len(alerts))
        with stages("audit chain and, beside it, feed entries"), ThreadPoolExecutor(1) as beside:
            feed = beside.submit(bulk.run_parallel, plumbing.feed_statements(first_sequence), "feed entries numbered")
            plumbing.audit_load(sizes, rng, members)
            feed.result()
        with stages("search vectors"):
            build.search_vectors_fill()
        with stages("feed entries logged, indexes rebuilt"):
            bulk.logged_again()
            bulk.indexes_rebuild(rebuild)
            plumbing.feed_counters_bring_along()
    with stages("ANALYZE"):
        build.analyze()
    stages.print()
    print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return build.Built(members=members, member_ids=[m.pk for m in members], tool_ids=tools, busiest_tool=busiest,
                       alert_ids=[a[0] for a in alerts if a[1] == members[0].pk][:1] or [alerts[0][0]])


def network_found() -> build.Built:
    """The Built of the network already in the database (what network_build answered)."""
    from django.db.models import Count

    from alerts.models import Alert, Report

    members = list(build.Member.objects.filter(code__startswith="V").order_by("code"))
    busiest = Report.objects.values("tool_id").annotate(n=Count("id")).order_by("-n")[0]["tool_id"]
    tool_ids = [busiest]  # the ?tool= filter: build's first tool is among the busiest too
    first = Alert.objects.filter(publisher=members[0]).order_by("created_at").values_list("id", flat=True).first()
    return build.Built(members=members, member_ids=[m.pk for m in members], tool_ids=tool_ids, busiest_tool=busiest,
                       alert_ids=[first] if first else [Alert.objects.values_list("id", flat=True)[0]])


def measure_all(built: build.Built, repeats: int, sweep_seconds: float,
                retention_seconds: float = 3600) -> list[measure.Figure]:
    print("  measuring requests …", flush=True)
    figures = measure.requests_measure(built, repeats)
    print("  measuring publishing, the sweep, retention, verify_audit_log …", flush=True)
    figures.append(measure.publish_measure(built, repeats))
    figures += measure.sweep_measure(sweep_seconds, built.busiest_tool)
    figures.append(measure.retention_measure(retention_seconds))
    figures.append(measure.verify_audit_measure(measure.environment()))
    return figures


def print_scale(scale: float, figures: list[measure.Figure]) -> None:
    print(f"\n{'scale ' + str(scale):<40} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'queries':>8}")
    for f in figures:
        queries = "" if f.queries is None else str(f.queries)
        print(f"{f.name:<40} {f.p50_ms:9.1f} {f.p95_ms:9.1f} {f.p99_ms:9.1f} {queries:>8}  {f.note}")


def print_growth(results: dict[float, list[measure.Figure]]) -> None:
    scales = sorted(results)
    if len(scales) < 2:
        return
    low, high = scales[-2], scales[-1]
    print(f"\nGrowth of p95 from scale {low} to {high} (data × {high / low:g}):")
    for before, after in zip(results[low], results[high], strict=True):
        ratio = after.p95_ms / max(before.p95_ms, 0.01)
        name = next(label for limit, label in GROWTH_NAMES if ratio < limit)
        queries = "" if before.queries == after.queries else f"  queries {before.queries} → {after.queries}"
        print(f"  {after.name:<40} × {ratio:6.2f}  {name}{queries}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, nargs="+", default=[0.01, 0.1])
    parser.add_argument("--repeats", type=int, default=20, help="timed requests per figure")
    parser.add_argument("--sweep-seconds", type=float, default=60.0,
                        help="time the signal sweep at most this long, then extrapolate to every tool "
                             "(0: only the sweep with no new evidence)")
    parser.add_argument("--retention-seconds", type=float, default=3600,
                        help="let the retention sweep run at most this long (it removes a batch at a time)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database", default="sax_volume",
                        help="the database built at each scale (dropped and re-created; never a test_ name)")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end (the smoke run does)")
    parser.add_argument("--build-only", action="store_true",
                        help="build the network in --database (one scale) and keep it, without measuring")
    parser.add_argument("--measure-only", action="store_true",
                        help="measure everything on the network already in --database (one scale; after "
                             "--build-only), without building")
    parser.add_argument("--requests-only", action="store_true",
                        help="measure the requests again on the network already in --database (one scale: "
                             "after a change to a read or an index), without building")
    args = parser.parse_args()
    print(f"volume: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results: dict[float, list[measure.Figure]] = {}
    if args.requests_only:
        print_scale(args.scale[0], measure.requests_measure(network_found(), args.repeats))
        return
    if args.measure_only:
        print_scale(args.scale[0], measure_all(network_found(), args.repeats, args.sweep_seconds,
                                               args.retention_seconds))
        print(f"\nload at the end {os.getloadavg()[0]:.2f}")
        return
    for scale in args.scale:
        fresh_database()
        built = network_build(scale, args.seed)
        if args.build_only:
            return
        results[scale] = measure_all(built, args.repeats, args.sweep_seconds, args.retention_seconds)
        print_scale(scale, results[scale])
    print_growth(results)
    if args.drop:
        connection.close()
        with psycopg.connect(urlunsplit(_server._replace(path="/postgres")), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    print(f"\nload at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
