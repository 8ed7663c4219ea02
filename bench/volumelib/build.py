"""Builds a network at scale S (1.0: 60 members, 3,000 users, 20,000 tools, 50,000 alerts with
150,000 revisions, 1,500,000 acknowledgements, 1,000,000 reports with 5,000,000 metric rows,
10,000 subscriptions, 2,000,000 events, 5,000,000 deliveries, 10,000,000 audit entries).

Skewed like a real network: a few members publish most alerts (Zipf), a few tools carry most
reports (1 % of tools, half the reports). Everything goes in through COPY (bench/volumelib/copy.py)
except members (created by the service, so each has its signing key) and subscriptions (built by
bench/recipients.py's generator, which also writes their match terms). The audit log is a valid
hash chain, written with the service's own hash function, so `verify_audit_log` passes.

This module builds the alerts' side (members, users, tools, alerts, acknowledgements, reports) and
finishes the load; bench/volumelib/plumbing.py builds the exchange's (events, deliveries, feeds,
the audit chain, subscriptions).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection

from alerts.models import (
    Acknowledgement,
    AcknowledgementEntry,
    Alert,
    AlertJurisdiction,
    AlertRecipient,
    AlertRevision,
    AlertTool,
    Authorization,
    BaselineMetric,
    Report,
    ReportMetric,
    ReportRecipient,
    Tool,
    ToolIdentifier,
    ToolVersion,
)
from alerts.services.pooled_sql import pooled_rebuild_sql
from bench.volumelib.bulk import insert_select
from bench.volumelib.copy import Table, reset_sequences
from exchange.models import Member, User
from exchange.services.members import member_create

COUNTRIES = [
    "GB", "US", "CA", "AU", "CH", "JP", "SG", "BR", "MX", "IN", "KR", "NZ", "ZA", "SA", "IL", "NO", "IS", "TR",
    "AR", "CL", "CO", "PE", "EG", "NG", "KE", "GH", "TH", "MY", "ID", "PH", "VN", "CN", "HK", "TW", "AE", "QA",
    "DE", "FR", "IT", "ES", "NL", "BE", "SE", "DK", "FI", "IE", "PT", "AT", "PL", "CZ", "HU", "RO", "GR", "SK",
    "SI", "HR", "LT", "LV", "EE", "EU",
]
AREAS = ["radiology", "pathology", "cardiology", "dermatology", "ophthalmology", "oncology", "neurology",
         "emergency_medicine", "general_practice", "other"]
ALERT_TYPES = ["performance_degradation", "software_defect", "bias_or_inequity", "safety_communication",
               "field_safety_notice", "recall", "cybersecurity", "misuse", "other"]
SEVERITIES = ["low", "medium", "medium", "high", "high", "critical"]
METRICS = ["sensitivity", "specificity", "ppv", "npv", "false_alarm_rate"]
ACK_STATES = [None, "received", "assessing", "action_taken", "not_applicable"]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
VERSIONS = ["1.0", "1.1", "2.0"]  # each tool's released versions (3 per tool: 60,000 at scale 1.0)
EPOCH = datetime(2017, 1, 1, tzinfo=UTC)
NOW = datetime.now(UTC).replace(microsecond=0)
RECORDED = datetime(2024, 1, 1, tzinfo=UTC)  # authorisations: recorded long before the last sweep


@dataclass
class Sizes:
    scale: float
    members: int = 0
    users: int = 0
    tools: int = 0
    alerts: int = 0
    acks_per_alert: int = 30
    reports: int = 0
    subscriptions: int = 0
    events: int = 0
    deliveries_per_event: float = 2.5
    audit: int = 0

    def __post_init__(self) -> None:
        s = self.scale
        self.members = max(5, round(60 * s))
        self.users = max(self.members * 4, round(3000 * s))
        self.tools = max(20, round(20000 * s))
        self.alerts = max(20, round(50000 * s))
        self.acks_per_alert = min(30, self.members - 1)
        self.reports = max(50, round(1_000_000 * s))
        self.subscriptions = max(20, round(10000 * s))
        self.events = max(50, round(2_000_000 * s))
        self.audit = max(100, round(10_000_000 * s))


@dataclass
class Built:
    """What the measurements need to find their way in the data."""

    members: list[Member]
    member_ids: list[int]
    tool_ids: list[uuid.UUID]
    busiest_tool: uuid.UUID
    alert_ids: list[uuid.UUID]
    user_of_member: dict[int, int] = field(default_factory=dict)


class Stages:
    """Wall-clock and CPU time (this process's, and the machine's load) of each stage of the build."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), time.process_time()
        print(f"  [{name}] …", flush=True)
        yield
        self.rows.append((name, time.perf_counter() - started, time.process_time() - cpu, os.getloadavg()[0]))

    def print(self) -> None:
        print(f"  {'stage':<48} {'wall s':>7} {'py CPU s':>9} {'load':>5}")
        for name, wall, cpu, load in self.rows:
            print(f"  {name:<48} {wall:7.1f} {cpu:9.1f} {load:5.1f}")


def zipf_choice(rng: random.Random, n: int, skew: float = 1.1) -> int:
    """An index in [0, n) where low indexes are much more likely (a few do most)."""
    return min(n - 1, int(n * rng.random() ** (1 + 3 * skew)))


def _when(rng: random.Random) -> datetime:
    # Up to yesterday: nothing loaded is "new evidence" to the incremental signal sweep.
    return EPOCH + timedelta(seconds=rng.randrange(int((NOW - EPOCH).total_seconds()) - 86400))


def _reference(index: int, year: int) -> str:
    # Unique per index (a bijection on 30 bits), looking random like the service's own references.
    scrambled = (index * 0x2545F491 + 0x9E3779B) % (1 << 30)
    chars = "".join(CROCKFORD[(scrambled >> shift) & 31] for shift in (25, 20, 15, 10, 5, 0))
    return f"SAX-{year}-{chars}"


def members_create(sizes: Sizes) -> list[Member]:
    existing = list(Member.objects.filter(code__startswith="V").order_by("code"))
    for index in range(len(existing), sizes.members):
        member_create(actor=None, code=f"V{index:03d}", name=f"Volume regulator {index}",
                      country=COUNTRIES[index % len(COUNTRIES)])
    return list(Member.objects.filter(code__startswith="V").order_by("code"))


def users_load(sizes: Sizes, members: list[Member]) -> dict[int, int]:
    roles = ["admin", "publisher", "assessor", "viewer"]
    rows = []
    for index in range(sizes.users):
        member = members[index % len(members)]
        rows.append((index + 1000, f"user{index}@{member.code.lower()}.volume.example", member.pk,
                     roles[(index // len(members)) % 4], "!", NOW))
    Table(User, ("id", "email", "member_id", "role", "password", "date_joined")).load(rows, label="users")
    reset_sequences(User)
    # The first users are each member's admin (index < members), then publishers.
    return {members[i % len(members)].pk: i + 1000 + len(members) for i in range(len(members))}


def tools_load(sizes: Sizes, rng: random.Random, members: list[Member]) -> list[uuid.UUID]:
    ids = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(sizes.tools)]
    # Every tool's signals as evaluated when the network was loaded (the sweep has caught up).
    Table(Tool, ("id", "name", "manufacturer", "intended_purpose", "clinical_area", "registered_by_id",
                 "created_at", "updated_at", "signals_evaluated_at")).load(
        ((tool_id, f"Tool {i}", f"Maker {i // 7}", "Flags findings for review", AREAS[i % len(AREAS)],
          members[i % len(members)].pk, NOW, NOW, NOW) for i, tool_id in enumerate(ids)), label="tools")
    Table(ToolIdentifier, ("tool_id", "system", "value")).load(
        ((tool_id, "udi-di", f"0{i:013d}") for i, tool_id in enumerate(ids)), label="tool identifiers")
    Table(ToolVersion, ("id", "tool_id", "version", "released_on", "significant", "registered_by_id",
                        "created_at")).load(
        ((uuid.UUID(int=rng.getrandbits(128), version=4), tool_id, version, date(2020 + n * 2, 1, 1), n == 2,
          members[i % len(members)].pk, EPOCH + timedelta(days=700 * n))
         for i, tool_id in enumerate(ids) for n, version in enumerate(VERSIONS)), label="tool versions")
    return ids


def authorizations_load(sizes: Sizes, rng: random.Random, members: list[Member], tools: list[uuid.UUID]) -> None:
    auth_rows: list[tuple[Any, ...]] = []
    baselines: list[tuple[Any, ...]] = []
    for i, tool_id in enumerate(tools):
        holders = rng.sample(members, min(len(members), 1 + zipf_choice(rng, 6)))
        for member in holders:
            auth_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            auth_rows.append((auth_id, tool_id, member.country, f"REF-{i}-{member.code}", "authorised",
                              date(2024, 1, 1), member.pk, RECORDED, RECORDED))
            baselines.append((auth_id, "sensitivity", 0.9))
            baselines.append((auth_id, "specificity", 0.88))
    Table(Authorization, ("id", "tool_id", "jurisdiction", "reference", "status", "date", "recorded_by_id",
                          "created_at", "updated_at")).load(auth_rows, label="authorisations")
    Table(BaselineMetric, ("authorization_id", "metric", "value")).load(baselines, label="baselines")
    reset_sequences(BaselineMetric, ToolIdentifier)


def alerts_load(sizes: Sizes, rng: random.Random, members: list[Member], tools: list[uuid.UUID],
                user_of: dict[int, int]) -> list[tuple[uuid.UUID, int, str, list[int]]]:
    """Alerts, their revisions, tools, jurisdictions and recipients. Answers (id, publisher, distribution,
    audience member ids) per alert for the acknowledgements and events."""
    alerts: list[tuple[Any, ...]] = []
    revisions: list[tuple[Any, ...]] = []
    alert_tools: list[tuple[Any, ...]] = []
    jurisdictions: list[tuple[Any, ...]] = []
    recipients: list[tuple[Any, ...]] = []
    out = []
    all_ids = [m.pk for m in members]
    for i in range(sizes.alerts):
        alert_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        publisher = members[zipf_choice(rng, len(members))]
        published = _when(rng)
        roll = rng.random()
        distribution = "network" if roll < 0.7 else "restricted" if roll < 0.9 else "public"
        status = "published" if rng.random() < 0.7 else "closed"
        severity = rng.choice(SEVERITIES)
        title = f"Alert {i}: {rng.choice(['missed', 'false', 'delayed', 'biased'])} findings after update {i % 97}"
        alerts.append((alert_id, _reference(i, published.year), publisher.pk, user_of.get(publisher.pk), status, 3, 4,
                       title, "Summary of the problem found in real-world use.", "", rng.choice(ALERT_TYPES),
                       severity, [], distribution, published, published, published,
                       published + timedelta(days=30) if status == "closed" else None))
        content = {"title": title, "severity": severity, "distribution": distribution}
        for number in (1, 2, 3):
            revisions.append((alert_id, number, content, "First publication." if number == 1 else "Amended.",
                              number != 2, [] if number == 1 else ["summary"], published + timedelta(days=number - 1)))
        chosen_tools = {tools[zipf_choice(rng, len(tools))] for _ in range(rng.randint(1, 2))}
        alert_tools.extend((alert_id, tool_id, ">=1.0") for tool_id in chosen_tools)
        jurisdictions.extend((alert_id, code) for code in rng.sample(COUNTRIES[:len(members)], rng.randint(1, 3)))
        if distribution == "restricted":
            audience = rng.sample([x for x in all_ids if x != publisher.pk], min(len(all_ids) - 1, rng.randint(2, 6)))
            recipients.extend((alert_id, member_id) for member_id in audience)
        else:
            audience = [x for x in all_ids if x != publisher.pk]
        out.append((alert_id, publisher.pk, distribution, audience))
    Table(Alert, ("id", "reference", "publisher_id", "created_by_id", "status", "revision", "version", "title",
                  "summary", "description", "alert_type", "severity", "imdrf_codes", "distribution", "created_at",
                  "updated_at", "published_at", "closed_at")).load(alerts, label="alerts")
    Table(AlertRevision, ("alert_id", "number", "content", "change_summary", "material", "changed_fields",
                          "created_at")).load(revisions, label="revisions")
    Table(AlertTool, ("alert_id", "tool_id", "versions")).load(alert_tools, label="alert tools")
    Table(AlertJurisdiction, ("alert_id", "jurisdiction")).load(jurisdictions, label="alert jurisdictions")
    Table(AlertRecipient, ("alert_id", "member_id")).load(recipients, label="alert recipients")
    reset_sequences(AlertRevision, AlertTool, AlertJurisdiction, AlertRecipient)
    return out


def _seconds_since_epoch_sql(column: str = "random()") -> str:
    """A moment between EPOCH and yesterday (as _when), from a value in [0, 1)."""
    span = int((NOW - EPOCH).total_seconds()) - 86400
    return f"(TIMESTAMPTZ '{EPOCH.isoformat()}' + floor({column} * {span}) * INTERVAL '1 second')"


def helpers_create(members: list[Member], tools: list[uuid.UUID],
                   alerts: list[tuple[uuid.UUID, int, str, list[int]]]) -> None:
    """Temporary tables the statements below draw from: members, tools and alerts by ordinal, and each
    alert's audience numbered 1…size (for picking acknowledgers and delivery targets without sorting)."""
    code_of = {m.pk: m.code for m in members}
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE vol_member (ord int PRIMARY KEY, id bigint, code text, country text)")
        cursor.execute("CREATE TEMP TABLE vol_tool (ord int PRIMARY KEY, id uuid)")
        cursor.execute("CREATE TEMP TABLE vol_alert (ord int PRIMARY KEY, id uuid, idtext text, publisher_id bigint,"
                       " publisher_code text, distribution text, size int, off int)")
        with cursor.cursor.copy("COPY vol_member FROM STDIN") as copy:
            for index, member in enumerate(members):
                copy.write_row((index, member.pk, member.code, member.country))
        with cursor.cursor.copy("COPY vol_tool FROM STDIN") as copy:
            for index, tool_id in enumerate(tools):
                copy.write_row((index, tool_id))
        with cursor.cursor.copy("COPY vol_alert FROM STDIN") as copy:
            for index, (alert_id, publisher, distribution, audience) in enumerate(alerts):
                copy.write_row((index, alert_id, str(alert_id), publisher, code_of[publisher], distribution,
                                len(audience), (index * 7919) % max(1, len(audience))))
        cursor.execute(
            "CREATE TEMP TABLE vol_audience AS"
            " SELECT a.id AS alert_id, row_number() OVER (PARTITION BY a.id ORDER BY m.ord)::int AS pos, m.id AS member_id"
            " FROM vol_alert a JOIN vol_member m ON m.id <> a.publisher_id WHERE a.distribution <> 'restricted'"
            " UNION ALL SELECT r.alert_id, row_number() OVER (PARTITION BY r.alert_id ORDER BY r.member_id)::int,"
            " r.member_id FROM alerts_alertrecipient r"
        )
        cursor.execute("CREATE UNIQUE INDEX ON vol_audience (alert_id, pos)")
        cursor.execute("CREATE UNIQUE INDEX ON vol_alert (idtext)")
        cursor.execute("ANALYZE vol_member; ANALYZE vol_tool; ANALYZE vol_alert; ANALYZE vol_audience")


def acknowledgements_load(sizes: Sizes) -> None:
    """Each alert's acknowledgements by `acks_per_alert` of its audience (a run of positions from the
    alert's offset), in the states' proportions 10/15/15/40/20 %, first answered from a minute to two
    weeks after the request (log-uniform: most within a day), and the history of every answer."""
    answered = "('action_taken', 'not_applicable')"
    source = (
        "(SELECT alert_id, member_id, at, CASE WHEN roll < 0.10 THEN NULL WHEN roll < 0.25 THEN 'received'"
        " WHEN roll < 0.40 THEN 'assessing' WHEN roll < 0.80 THEN 'action_taken' ELSE 'not_applicable' END AS state"
        " , at + make_interval(secs => 60 * exp(lag * ln(20160))) AS answered_at"
        f" FROM (SELECT au.alert_id, au.member_id, {_seconds_since_epoch_sql()} AS at, random() AS roll,"
        "   random() AS lag"
        "  FROM vol_alert a JOIN vol_audience au ON au.alert_id = a.id"
        f"  WHERE (au.pos - 1 + a.size - a.off) % a.size < {sizes.acks_per_alert} OFFSET 0) r) s"
    )
    insert_select(Acknowledgement, {
        "id": "gen_random_uuid()", "alert_id": "s.alert_id", "member_id": "s.member_id", "revision": "3",
        "state": "s.state", "requested": "true", "requested_at": "s.at", "deadline": "s.at + INTERVAL '3 days'",
        "acknowledged_at": "CASE WHEN s.state IS NOT NULL THEN s.answered_at END",
        "completed_at": f"CASE WHEN s.state IN {answered} THEN s.answered_at END", "created_at": "s.at",
        "updated_at": "coalesce(CASE WHEN s.state IS NOT NULL THEN s.answered_at END, s.at)",
    }, source, "acknowledgements")
    insert_select(AcknowledgementEntry, {
        "acknowledgement_id": "k.id", "revision": "3", "state": "k.state", "at": "k.acknowledged_at",
        "by_email": "'volume@example.test'", "comment": "'Done.'",
    }, "alerts_acknowledgement k WHERE k.state IS NOT NULL", "acknowledgement history")


def reports_load(sizes: Sizes, tools: list[uuid.UUID], members: list[Member]) -> uuid.UUID:
    """Reports and their metrics; half the reports are about the busiest 1 % of tools (Zipf among
    them), publishers Zipf too. Answers the busiest tool (the first: Zipf's most likely)."""
    busy, metrics = max(1, len(tools) // 100), ", ".join(f"'{m}'" for m in METRICS)
    n_tools, n_members, when = len(tools), len(members), _seconds_since_epoch_sql()
    source = (
        f"(SELECT i, CASE WHEN random() < 0.5 THEN least({busy} - 1, floor({busy} * power(random(), 4.3)))"
        f"  ELSE floor({n_tools} * random()) END AS tool_ord,"
        f"  least({n_members} - 1, floor({n_members} * power(random(), 2.5))) AS member_ord, random() AS roll,"
        f"  {when} AS published FROM generate_series(0, {sizes.reports} - 1) i OFFSET 0) g"
        " JOIN vol_tool t ON t.ord = g.tool_ord JOIN vol_member m ON m.ord = g.member_ord"
    )
    versions = ", ".join(f"'{v}'" for v in VERSIONS)
    insert_select(Report, {
        "id": "gen_random_uuid()", "publisher_id": "m.id", "status": "'published'", "tool_id": "t.id",
        "tool_version": f"(ARRAY[{versions}])[least(3, (g.i % 10) / 4 + 1)]",
        "period_start": "make_date(2017 + g.i % 10, 1 + g.i % 12, 1)",
        "period_end": "make_date(2017 + g.i % 10, 1 + g.i % 12, 1) + 27", "setting": "'Hospital network'",
        "country": "m.country", "sample_size": "200 + floor(random() * 4801)::int",
        "distribution": "CASE WHEN g.roll < 0.85 THEN 'network' WHEN g.roll < 0.95 THEN 'restricted' ELSE 'public' END",
        "created_at": "g.published", "updated_at": "g.published", "published_at": "g.published",
    }, source, "reports")
    insert_select(ReportMetric, {
        "report_id": "x.id", "metric": "x.metric", "value": "x.n::float / x.d", "numerator": "x.n",
        "denominator": "x.d", "ci_method": "'wilson'", "ci_low": "greatest(0.0, x.n::float / x.d - 0.03)",
        "ci_high": "least(1.0, x.n::float / x.d + 0.03)",
    }, "(SELECT id, metric, d, floor(d * CASE WHEN metric = 'false_alarm_rate' THEN 0.05"
       "  ELSE 0.75 + random() * 0.2 END)::int AS n"
       f" FROM (SELECT r.id, mm.metric, 100 + floor(random() * 1901)::int AS d FROM alerts_report r"
       f"  CROSS JOIN unnest(ARRAY[{metrics}]) AS mm(metric) OFFSET 0) y OFFSET 0) x", "report metrics")
    insert_select(ReportRecipient, {"report_id": "r.id", "member_id": "x.id"},
                  "alerts_report r CROSS JOIN LATERAL (SELECT m.id FROM vol_member m WHERE m.id <> r.publisher_id"
                  " ORDER BY random() LIMIT 3) x WHERE r.distribution = 'restricted'",
                  "report recipients")
    return tools[0]


def search_vectors_fill() -> None:
    """The alerts' and reports' full-text vectors, with the SQL (and weights) of the migration that
    filled existing rows (alerts.services.search writes the same for each row a service saves)."""
    import importlib

    migration = importlib.import_module("alerts.migrations.0010_search_related_links")
    started = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(migration.ALERT_VECTOR_SQL)
        cursor.execute(migration.REPORT_VECTOR_SQL)
    print(f"  search vectors in {(datetime.now(UTC) - started).total_seconds():.1f} s", flush=True)


def pooled_sums_rebuild() -> int:
    """The pooled sums of the reports just loaded (alerts.services.pooled_rebuild: one INSERT … SELECT …
    GROUP BY per table on PostgreSQL), after their tables are analysed so that the planner hashes."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alerts_report, alerts_reportmetric, alerts_reportrecipient, alerts_reportsubgroup")
    started = time.perf_counter()
    reports, cells, versions = pooled_rebuild_sql()
    print(f"  pooled sums: {reports:,} reports into {cells:,} cells and {versions:,} version rows"
          f" in {time.perf_counter() - started:.1f} s", flush=True)
    return reports


def analyze() -> None:
    with connection.cursor() as cursor:
        # As autovacuum keeps a deployed database (the server here runs with `autovacuum = off`): the
        # dashboard's index-only reads fetch every heap row of a table never vacuumed (5 s at 1.0).
        cursor.execute("VACUUM (ANALYZE) alerts_acknowledgement, alerts_alert")
        cursor.execute("ANALYZE")


def ack_tallies_rebuild() -> None:
    """The dashboard's tallies of the answers just loaded (the triggers that keep them are off while
    loading): `sax_ack_tallies_rebuild()`, migration alerts 0019's one set-based count."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alerts_acknowledgement")
        cursor.execute("SELECT sax_ack_tallies_rebuild()")
        cursor.execute("SELECT count(*), coalesce(sum(total), 0) FROM alerts_acktally")
        rows, answers = cursor.fetchone()
    print(f"  acknowledgement tallies: {answers:,} answers into {rows:,} tallies"
          f" in {time.perf_counter() - started:.1f} s", flush=True)
