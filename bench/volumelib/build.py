"""Builds a network at scale S (1.0: 60 members, 3,000 users, 20,000 tools, 50,000 alerts with
150,000 revisions, 1,500,000 acknowledgements, 1,000,000 reports with 5,000,000 metric rows,
10,000 subscriptions, 2,000,000 events, 5,000,000 deliveries, 10,000,000 audit entries).

Skewed like a real network: a few members publish most alerts (Zipf), a few tools carry most
reports (1 % of tools, half the reports). Everything goes in through COPY (bench/volumelib/copy.py)
except members (created by the service, so each has its signing key) and subscriptions (built by
bench/recipients.py's generator, which also writes their match terms). The audit log is a valid
hash chain, written with the service's own hash function, so `verify_audit_log` passes.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
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
from bench.volumelib.copy import Table, reset_sequences
from exchange.models import (
    AuditEntry,
    Delivery,
    Event,
    EventAudience,
    FeedEntry,
    Member,
    MemberFeed,
    User,
    WebhookEndpoint,
)
from exchange.services.audit import GENESIS_HASH, entry_hash
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


def acknowledgements_load(sizes: Sizes, rng: random.Random,
                          alerts: list[tuple[uuid.UUID, int, str, list[int]]]) -> None:
    acks: list[tuple[Any, ...]] = []
    entries: list[tuple[Any, ...]] = []
    next_id = 1
    for alert_id, _publisher, _distribution, audience in alerts:
        for member_id in rng.sample(audience, min(len(audience), sizes.acks_per_alert)):
            ack_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            state = rng.choices(ACK_STATES, weights=[10, 15, 15, 40, 20])[0]
            requested_at = _when(rng)
            acks.append((ack_id, alert_id, member_id, 3, state, True, requested_at, requested_at + timedelta(days=3),
                         requested_at if state else None,
                         requested_at if state in ("action_taken", "not_applicable") else None, requested_at,
                         requested_at))
            if state:
                entries.append((next_id, ack_id, 3, state, requested_at, "volume@example.test", "Done."))
                next_id += 1
    Table(Acknowledgement, ("id", "alert_id", "member_id", "revision", "state", "requested", "requested_at",
                            "deadline", "acknowledged_at", "completed_at", "created_at", "updated_at")).load(
        acks, label="acknowledgements")
    Table(AcknowledgementEntry, ("id", "acknowledgement_id", "revision", "state", "at", "by_email", "comment")).load(
        entries, label="acknowledgement history")
    reset_sequences(AcknowledgementEntry)


def reports_load(sizes: Sizes, rng: random.Random, members: list[Member], tools: list[uuid.UUID]) -> uuid.UUID:
    """Reports and their metrics; half the reports are about the busiest 1 % of tools. Answers the busiest tool."""
    busy = tools[: max(1, len(tools) // 100)]
    all_ids = [m.pk for m in members]

    def reports() -> Iterator[tuple[Any, ...]]:
        for i in range(sizes.reports):
            tool_id = busy[zipf_choice(rng, len(busy))] if rng.random() < 0.5 else tools[rng.randrange(len(tools))]
            member = members[zipf_choice(rng, len(members), 0.5)]
            start = date(2017 + (i % 10), 1 + (i % 12), 1)
            roll = rng.random()
            distribution = "network" if roll < 0.85 else "restricted" if roll < 0.95 else "public"
            published = _when(rng)
            yield (uuid.UUID(int=rng.getrandbits(128), version=4), member.pk, "published", tool_id,
                   VERSIONS[min(2, (i % 10) // 4)], start, start + timedelta(days=27), "Hospital network", member.country,
                   rng.randint(200, 5000), distribution, published, published, published)

    rows = list(reports())
    Table(Report, ("id", "publisher_id", "status", "tool_id", "tool_version", "period_start", "period_end",
                   "setting", "country", "sample_size", "distribution", "created_at", "updated_at",
                   "published_at")).load(rows, label="reports")

    def metrics() -> Iterator[tuple[Any, ...]]:
        metric_id = 1
        for row in rows:
            for metric in METRICS:
                denominator = rng.randint(100, 2000)
                share = 0.05 if metric == "false_alarm_rate" else rng.uniform(0.75, 0.95)
                numerator = int(denominator * share)
                yield (metric_id, row[0], metric, numerator / denominator, numerator, denominator, "wilson",
                       max(0.0, numerator / denominator - 0.03), min(1.0, numerator / denominator + 0.03))
                metric_id += 1

    Table(ReportMetric, ("id", "report_id", "metric", "value", "numerator", "denominator", "ci_method", "ci_low",
                         "ci_high")).load(metrics(), label="report metrics")
    Table(ReportRecipient, ("report_id", "member_id")).load(
        ((row[0], member_id) for row in rows if row[10] == "restricted"
         for member_id in rng.sample([x for x in all_ids if x != row[1]], min(3, len(all_ids) - 1))),
        label="report recipients")
    reset_sequences(ReportMetric, ReportRecipient)
    return busy[0]


def events_load(sizes: Sizes, rng: random.Random, members: list[Member],
                alerts: list[tuple[uuid.UUID, int, str, list[int]]]) -> None:
    """Events about the alerts (the last 99 days), their audiences, feed numbers and deliveries."""
    by_pk = {m.pk: m for m in members}
    endpoints = [(uuid.UUID(int=rng.getrandbits(128), version=4), m.pk) for m in members for _ in range(2)]
    Table(WebhookEndpoint, ("id", "member_id", "url", "secret", "created_at", "updated_at")).load(
        ((endpoint_id, member_id, f"https://hooks.example.org/{endpoint_id}", "whsec_dm9sdW1l", NOW, NOW)
         for endpoint_id, member_id in endpoints), label="webhook endpoints")
    endpoints_of: dict[int, list[uuid.UUID]] = {}
    for endpoint_id, member_id in endpoints:
        endpoints_of.setdefault(member_id, []).append(endpoint_id)
    events: list[tuple[Any, ...]] = []
    audience_rows: list[tuple[Any, ...]] = []
    deliveries: list[tuple[Any, ...]] = []
    # Over the last 99 days: a tenth older than retention's 90, for the retention sweep to remove.
    start = NOW - timedelta(days=99)
    step = timedelta(days=99) / sizes.events
    first_sequence = (Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    for i in range(sizes.events):
        alert_id, publisher, distribution, audience = alerts[i % len(alerts)]
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        kind = "members" if distribution == "restricted" else distribution
        created = start + step * i
        events.append((event_id, first_sequence + i, "alert.amended" if i >= len(alerts) else "alert.published", created, kind,
                       "alert", str(alert_id), by_pk[publisher].code, {"severity": "high"},
                       {"id": str(alert_id), "title": f"Alert {i % len(alerts)}"}, created))
        if kind == "members":
            audience_rows.extend((event_id, member_id) for member_id in [publisher, *audience])
        count = int(sizes.deliveries_per_event) + (rng.random() < sizes.deliveries_per_event % 1)
        for member_id in rng.sample(audience, min(count, len(audience))):
            deliveries.append((uuid.UUID(int=rng.getrandbits(128), version=4), event_id, member_id, "webhook",
                               endpoints_of[member_id][0], "succeeded", 1, created, created, 204, created, created))
    Table(Event, ("id", "sequence", "type", "created_at", "audience_kind", "object_type", "object_id",
                  "publisher_code", "facets", "payload", "dispatched_at")).load(events, label="events")
    Table(EventAudience, ("event_id", "member_id")).load(audience_rows, label="event audiences")
    Table(Delivery, ("id", "event_id", "member_id", "channel", "endpoint_id", "state", "attempt_count",
                     "last_attempt_at", "succeeded_at", "last_status_code", "created_at", "next_attempt_at")).load(
        deliveries, label="deliveries")
    reset_sequences(EventAudience)
    feed_entries_number()


def feed_entries_number() -> None:
    """Number every loaded event in the feed of each active member that may see it, after the numbers
    the set-up gave (exchange.services.events does this per event under the chain lock; here one
    statement numbers them all, in the network's order), and bring each member's counter along."""
    feeds, entries = MemberFeed._meta.db_table, FeedEntry._meta.db_table
    events, audiences, members = Event._meta.db_table, EventAudience._meta.db_table, Member._meta.db_table
    started = datetime.now(UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {entries} (member_id, event_id, sequence)"
            f" SELECT m.id, e.id, COALESCE(f.last_sequence, 0) + row_number() OVER (PARTITION BY m.id ORDER BY e.sequence)"
            f" FROM {events} e JOIN {members} m ON m.status = 'active' AND (e.audience_kind <> 'members' OR EXISTS"
            f"   (SELECT 1 FROM {audiences} a WHERE a.event_id = e.id AND a.member_id = m.id))"
            f" LEFT JOIN {feeds} f ON f.member_id = m.id"
            f" WHERE NOT EXISTS (SELECT 1 FROM {entries} x WHERE x.event_id = e.id)"
        )
        count = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {feeds} (member_id, last_sequence) SELECT member_id, MAX(sequence) FROM {entries}"
            f" GROUP BY member_id ON CONFLICT (member_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence"
        )
    seconds = (datetime.now(UTC) - started).total_seconds()
    print(f"  feed entries: {count:,} rows in {seconds:.1f} s", flush=True)


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


def audit_load(sizes: Sizes, rng: random.Random, members: list[Member]) -> None:
    """A valid chain after whatever entries the set-up wrote (members' creation)."""
    last = AuditEntry.objects.order_by("-id").first()
    prev_hash = last.hash if last else GENESIS_HASH
    first_id = (last.id if last else 0) + 1
    at = last.at if last else EPOCH

    def entries() -> Iterator[tuple[Any, ...]]:
        nonlocal prev_hash, at
        for entry_id in range(first_id, first_id + sizes.audit):
            at = at + timedelta(microseconds=rng.randrange(1, 1_000_000))
            member = members[entry_id % len(members)]
            action = "alert.amended" if entry_id % 3 else "acknowledgement.updated"
            before = {"state": "received"}
            after = {"state": "assessing", "n": entry_id}
            digest = entry_hash(entry_id=entry_id, at=at, actor_id=None, actor_email="", member_code=member.code,
                                action=action, object_type="alert", object_id=str(entry_id % 50_000),
                                before=before, after=after, prev_hash=prev_hash)
            yield (entry_id, at, None, "", member.code, action, "alert", str(entry_id % 50_000), before, after,
                   prev_hash, digest)
            prev_hash = digest

    Table(AuditEntry, ("id", "at", "actor_id", "actor_email", "member_code", "action", "object_type", "object_id",
                       "before", "after", "prev_hash", "hash")).load(entries(), label="audit entries")


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def subscriptions_load(sizes: Sizes, rng: random.Random, members: list[Member]) -> None:
    """Subscriptions as bench/recipients.py makes them (with their match terms), over this network's tools."""
    import importlib.util

    from django.db import transaction

    from exchange.models import Subscription, SubscriptionTerm

    spec = importlib.util.spec_from_file_location("bench_recipients", Path(__file__).resolve().parents[1] / "recipients.py")
    assert spec is not None
    assert spec.loader is not None
    recipients = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipients)
    recipients.TOOLS[:] = [str(t) for t in Tool.objects.values_list("id", flat=True)[:5000]]
    recipients.COUNTRIES[:] = COUNTRIES[: len(members)]
    codes = [m.code for m in members]
    made = 0
    while made < sizes.subscriptions:
        chunk = min(sizes.subscriptions - made, 5000)
        rows = [recipients._subscription(rng, rng.choice(members), codes, "specific") for _ in range(chunk)]
        with transaction.atomic():
            Subscription.objects.bulk_create([s for s, _ in rows], batch_size=1000)
            SubscriptionTerm.objects.bulk_create([t for _, terms in rows for t in terms], batch_size=2000)
        made += chunk
    print(f"  subscriptions: {made:,}", flush=True)
