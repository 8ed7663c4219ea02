"""The exchange's side of the volume network (bench/volumelib/build.py builds the alerts' side):
events with their audiences and deliveries, each member's numbered feed, the audit chain and the
subscriptions. Sizes and times are build.py's."""

from __future__ import annotations

import hashlib
import queue
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import connection

from alerts.models import Tool
from bench.volumelib import bulk
from bench.volumelib.build import COUNTRIES, EPOCH, NOW, Sizes
from bench.volumelib.bulk import insert_select
from bench.volumelib.copy import Table, reset_sequences
from exchange.models import (
    AuditEntry,
    Delivery,
    Event,
    EventAudience,
    FeedEntry,
    Member,
    MemberFeed,
    WebhookEndpoint,
)
from exchange.services.audit import GENESIS_HASH, entry_hash


def events_load(sizes: Sizes, rng: random.Random, members: list[Member], alerts_count: int) -> int:
    """Events about the alerts (the last 99 days, in order), their audiences and 2–3 deliveries each.
    Answers the first loaded event's sequence."""
    endpoints = [(uuid.UUID(int=rng.getrandbits(128), version=4), m.pk) for m in members for _ in range(2)]
    Table(WebhookEndpoint, ("id", "member_id", "url", "secret", "created_at", "updated_at")).load(
        ((endpoint_id, member_id, f"https://hooks.example.org/{endpoint_id}", "whsec_dm9sdW1l", NOW, NOW)
         for endpoint_id, member_id in endpoints), label="webhook endpoints")
    first = (Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    # Over the last 99 days: a tenth older than retention's 90, for the retention sweep to remove.
    start, step_us = NOW - timedelta(days=99), 99 * 86400 * 1_000_000 / sizes.events
    insert_select(Event, {
        "id": "gen_random_uuid()", "sequence": f"{first} + s.i",
        "type": f"CASE WHEN s.i >= {alerts_count} THEN 'alert.amended' ELSE 'alert.published' END",
        "created_at": "s.created",
        "audience_kind": "CASE s.distribution WHEN 'restricted' THEN 'members' ELSE s.distribution END",
        "object_type": "'alert'", "object_id": "s.idtext", "publisher_code": "s.publisher_code",
        "facets": "'{\"severity\": \"high\"}'::jsonb",
        "payload": f"jsonb_build_object('id', s.idtext, 'title', 'Alert ' || (s.i % {alerts_count}))",
        "dispatched_at": "s.created",
    }, f"(SELECT i, a.*, TIMESTAMPTZ '{start.isoformat()}' + floor({step_us} * i) * INTERVAL '1 microsecond'"
       f" AS created FROM generate_series(0, {sizes.events} - 1) i JOIN vol_alert a ON a.ord = i % {alerts_count}) s",
       "events")
    loaded = f"e.sequence >= {first}"
    insert_select(EventAudience, {"event_id": "e.id", "member_id": "x.member_id"},
                  "exchange_event e JOIN vol_alert a ON a.idtext = e.object_id JOIN (SELECT alert_id, member_id"
                  " FROM vol_audience UNION ALL SELECT id, publisher_id FROM vol_alert) x ON x.alert_id = a.id"
                  f" WHERE e.audience_kind = 'members' AND {loaded}", "event audiences")
    whole = int(sizes.deliveries_per_event)
    insert_select(Delivery, {
        "id": "gen_random_uuid()", "event_id": "s.event_id", "member_id": "au.member_id", "channel": "'webhook'",
        "endpoint_id": "ep.id", "state": "'succeeded'", "attempt_count": "1", "last_attempt_at": "s.created",
        "succeeded_at": "s.created", "last_status_code": "204", "created_at": "s.created",
        "next_attempt_at": "s.created",
    }, f"(SELECT e.id AS event_id, e.created_at AS created, a.id AS alert_id, a.size,"
       f"  floor(random() * a.size)::int AS off, {whole} + (random() < {sizes.deliveries_per_event % 1})::int AS n"
       f"  FROM exchange_event e JOIN vol_alert a ON a.idtext = e.object_id WHERE {loaded} OFFSET 0) s"
       f" CROSS JOIN generate_series(0, {whole}) k"
       " JOIN vol_audience au ON au.alert_id = s.alert_id AND au.pos = (s.off + k) % s.size + 1"
       " JOIN (SELECT DISTINCT ON (member_id) member_id, id FROM exchange_webhookendpoint ORDER BY member_id, id) ep"
       " ON ep.member_id = au.member_id WHERE k < least(s.n, s.size)", "deliveries")
    return first


def feed_statements(first_sequence: int) -> list[str]:
    """One statement per active member numbering, in the network's order, every loaded event it may
    see after the numbers the set-up gave (exchange.services.events does this per event under the
    chain lock); run over two connections."""
    statements = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1, COUNT(*) + 1 FROM {FeedEntry._meta.db_table}")
        ids_from, span = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*) FROM {Event._meta.db_table}")
        span += cursor.fetchone()[0]
        cursor.execute(f"SELECT m.id, COALESCE(f.last_sequence, 0) FROM {Member._meta.db_table} m"
                       f" LEFT JOIN {MemberFeed._meta.db_table} f ON f.member_id = m.id WHERE m.status = 'active'")
        # Ids given here (each member a block of its own) rather than drawn one by one from the sequence.
        for index, (member_id, base) in enumerate(cursor.fetchall()):
            statements.append(
                f"INSERT INTO {FeedEntry._meta.db_table} (id, member_id, event_id, sequence)"
                f" SELECT {ids_from + index * span} + row_number() OVER (ORDER BY e.sequence), {int(member_id)}, e.id,"
                f" {int(base)} + row_number() OVER (ORDER BY e.sequence)"
                f" FROM {Event._meta.db_table} e WHERE e.sequence >= {int(first_sequence)} AND"
                f" (e.audience_kind <> 'members' OR EXISTS (SELECT 1 FROM {EventAudience._meta.db_table} a"
                f"  WHERE a.event_id = e.id AND a.member_id = {int(member_id)}))"
            )
    return statements


def feed_counters_bring_along() -> None:
    """Each member's feed counter brought to its last number (after the indexes exist: one index
    probe per member, not a pass over every entry)."""
    feeds, entries = MemberFeed._meta.db_table, FeedEntry._meta.db_table
    reset_sequences(FeedEntry)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {feeds} (member_id, last_sequence) SELECT m.id, x.last FROM {Member._meta.db_table} m"
            f" CROSS JOIN LATERAL (SELECT MAX(sequence) AS last FROM {entries} WHERE member_id = m.id) x"
            f" WHERE x.last IS NOT NULL ON CONFLICT (member_id) DO UPDATE SET last_sequence = EXCLUDED.last_sequence"
        )
        cursor.execute(f"SELECT SUM(last_sequence) FROM {feeds}")
        print(f"  feed counters: {cursor.fetchone()[0]:,} numbers given in all", flush=True)


_AUDIT_CONTENT = ('{{"action":"{action}","actor_email":"","actor_id":null,"after":{{"n":{id},"state":"assessing"}},'
                  '"at":"{at}","before":{{"state":"received"}},"id":{id},"member":"{member}","object_id":"{object}",'
                  '"object_type":"alert","prev":"{prev}"}}')
_AUDIT_COPY = ("COPY exchange_auditentry (id, at, actor_id, actor_email, member_code, action, object_type, object_id,"
               " before, after, prev_hash, hash) FROM STDIN")


def audit_load(sizes: Sizes, rng: random.Random, members: list[Member]) -> None:
    """A valid chain after whatever entries the set-up wrote (members' creation), hashed here in one
    loop and written by two COPY connections (each its own backend) in chunks of 20,000 entries."""
    started = time.perf_counter()
    chunks: queue.Queue[str | None] = queue.Queue(maxsize=8)

    def writer() -> None:
        with bulk.connect() as conn, conn.cursor() as cursor, cursor.copy(_AUDIT_COPY) as copy:
            while (chunk := chunks.get()) is not None:
                copy.write(chunk)

    with ThreadPoolExecutor(bulk.WORKERS) as pool:
        writers = [pool.submit(writer) for _ in range(bulk.WORKERS)]
        for chunk in [*_audit_chunks(sizes, rng, members), *[None] * len(writers)]:
            while True:
                try:
                    chunks.put(chunk, timeout=1)
                    break
                except queue.Full:
                    for failed in (w for w in writers if w.done()):
                        failed.result()  # a writer that failed raises here
        for done in writers:
            done.result()
    seconds = time.perf_counter() - started
    print(f"  audit entries: {sizes.audit:,} rows in {seconds:.1f} s ({sizes.audit / seconds:,.0f}/s)", flush=True)


def _audit_chunks(sizes: Sizes, rng: random.Random, members: list[Member]) -> Iterator[str]:
    """COPY text of the entries, 20,000 a chunk. Each entry's canonical content (entry_hash's: sorted
    keys, no spaces) is formatted straight from a template, and the first is checked against
    entry_hash itself, so the chain is the service's."""
    last = AuditEntry.objects.order_by("-id").first()
    prev = last.hash if last else GENESIS_HASH
    first_id = (last.id if last else 0) + 1
    at = (last.at if last else EPOCH).astimezone(UTC)
    codes, sha256, rand, content = [m.code for m in members], hashlib.sha256, rng.random, _AUDIT_CONTENT.format
    microsecond, lines = timedelta(microseconds=1), []
    for entry_id in range(first_id, first_id + sizes.audit):
        at += microsecond * (int(rand() * 999_999) + 1)
        stamp, member = at.isoformat(timespec="microseconds"), codes[entry_id % len(codes)]
        action = "alert.amended" if entry_id % 3 else "acknowledgement.updated"
        digest = sha256(content(action=action, id=entry_id, at=stamp, member=member, object=entry_id % 50_000,
                                prev=prev).encode()).hexdigest()
        if entry_id == first_id:
            _audit_template_check(entry_id, at, member, action, prev, digest)
        lines.append(f'{entry_id}\t{stamp}\t\\N\t\t{member}\t{action}\talert\t{entry_id % 50_000}\t'
                     f'{{"state": "received"}}\t{{"n": {entry_id}, "state": "assessing"}}\t{prev}\t{digest}\n')
        prev = digest
        if len(lines) == 20_000:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def _audit_template_check(entry_id: int, at: datetime, member: str, action: str, prev: str, digest: str) -> None:
    expected = entry_hash(entry_id=entry_id, at=at, actor_id=None, actor_email="", member_code=member,
                          action=action, object_type="alert", object_id=str(entry_id % 50_000),
                          before={"state": "received"}, after={"state": "assessing", "n": entry_id}, prev_hash=prev)
    if digest != expected:
        raise SystemExit("volume: the audit template no longer matches exchange.services.audit.entry_hash")


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
