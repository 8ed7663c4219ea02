"""The publisher's dashboard, read (issue #29): per member on what a member published, and the totals.

On PostgreSQL the counts and the medians come from the tallies the database keeps as answers are
written (alerts/models/ack_tallies.py), so the page costs the same after ten years as after one:
- counts: the member's tally rows for published and closed alerts;
- overdue: the requests still open with a deadline (kept) less those whose deadline has not come yet
  (read: a few days of requests, through `ack_open_deadline_idx`);
- medians: the distribution of answer times (kept, in buckets) gives the bucket of the middle answer;
  the answers in that bucket are read (through `ack_answer_bucket_idx`) and the median is taken from
  them exactly as `percentile_cont(0.5)` takes it — the same figure the API's statistics give.
A tally that disagrees with the answers it summarises is not shown: that member's median is counted
from its rows and the disagreement logged. Elsewhere (the embedded SQLite default) every figure is
counted from the rows (alerts/ack_stats_selectors.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum

from alerts.ack_stats_selectors import (
    MemberAckStats,
    ack_stats_by_member,
    acknowledgements_of_publisher,
    median_hours_to_acknowledge,
)
from alerts.choices import AlertStatus
from alerts.models import Acknowledgement, AckTally
from alerts.models.acknowledgements import incomplete_q
from exchange.json_types import JSONObject
from exchange.models import Member

log = logging.getLogger(__name__)

RELEASED = [AlertStatus.PUBLISHED.value, AlertStatus.CLOSED.value]


@dataclass(frozen=True)
class MemberRow:
    stats: MemberAckStats
    outstanding: int


@dataclass(frozen=True)
class AnswerCounts:
    by_member: list[MemberRow]
    requested: int
    outstanding: int
    overdue: int
    median_hours: float | None


def publisher_acknowledgements(member: Member) -> QuerySet[Acknowledgement]:
    """What the dashboard counts: other members' answers to `member`'s published and closed alerts."""
    return acknowledgements_of_publisher(member=member, kind="alert").filter(alert__status__in=RELEASED)


def answer_counts(*, member: Member, now: datetime) -> AnswerCounts:
    """Per member (by code) and in total, on the alerts `member` published: the dashboard's figures."""
    if connection.vendor == "postgresql":
        return _counts_kept(member, now)
    return counts_from_rows(member=member, now=now)


def counts_from_rows(*, member: Member, now: datetime) -> AnswerCounts:
    """The same figures counted from the answers themselves (linear in them)."""
    acks = publisher_acknowledgements(member)
    by_member = ack_stats_by_member(acknowledgements=acks, now=now)
    outstanding = dict(
        acks.filter(requested=True).filter(incomplete_q())
        .order_by().values_list("member__code").annotate(n=Count("pk"))
    )
    return AnswerCounts(
        by_member=[MemberRow(stats=row, outstanding=outstanding.get(row.member, 0)) for row in by_member],
        requested=sum(row.requested for row in by_member),
        outstanding=sum(outstanding.values()),
        overdue=sum(row.overdue for row in by_member),
        median_hours=median_hours_to_acknowledge(acks),
    )


def _counts_kept(member: Member, now: datetime) -> AnswerCounts:
    published = Q(status=AlertStatus.PUBLISHED)
    tallies = cast(Iterable[JSONObject], (
        AckTally.objects.filter(publisher=member, status__in=RELEASED).exclude(member=member)
        .values("member_id", "member__code", "member__name")
        .annotate(
            n_total=Sum("total"), n_requested=Sum("requested"), n_acknowledged=Sum("acknowledged"),
            n_acted=Sum("acted"), n_not_applicable=Sum("not_applicable"), n_open=Sum("open_requested"),
            n_open_dated=Sum("open_with_deadline", filter=published, default=0),
        )
        .filter(n_total__gt=0).order_by("member__code")
    ))
    not_yet_due = dict(
        Acknowledgement.objects.filter(
            alert__publisher=member, alert__status=AlertStatus.PUBLISHED, requested=True, deadline__gt=now,
        ).filter(incomplete_q()).exclude(member=member)
        .order_by().values_list("member_id").annotate(n=Count("pk"))
    )
    medians, overall = _medians(member)
    rows = []
    for tally in tallies:
        seconds = medians.get(tally["member_id"])
        stats = MemberAckStats(
            member=tally["member__code"], name=tally["member__name"], requested=tally["n_requested"],
            acknowledged=tally["n_acknowledged"], acted=tally["n_acted"], not_applicable=tally["n_not_applicable"],
            overdue=tally["n_open_dated"] - not_yet_due.get(tally["member_id"], 0),
            median_hours_to_acknowledge=None if seconds is None else round(seconds / 3600, 2),
        )
        rows.append(MemberRow(stats=stats, outstanding=tally["n_open"]))
    return AnswerCounts(
        by_member=rows,
        requested=sum(row.stats.requested for row in rows),
        outstanding=sum(row.outstanding for row in rows),
        overdue=sum(row.stats.overdue for row in rows),
        median_hours=None if overall is None else overall / 3600,
    )


# The distribution of each member's answer times on the publisher's released alerts, in bucket order
# (an index range of the unique constraint; cumulated in Python: a window over it in SQL took 3× as long).
_DISTRIBUTION = """
SELECT member_id, bucket, n FROM alerts_ackanswertime
WHERE publisher_id = %(publisher)s AND status = 'released' AND member_id <> %(publisher)s AND n <> 0
ORDER BY member_id, bucket
"""


def _middle_buckets(rows: list[tuple[int, int, int]]) -> tuple[dict[int | None, list[tuple[int, int, int]]],
                                                               dict[int | None, int]]:
    """Per member (and, None, everyone): the buckets holding the middle answer(s) as (bucket, answers
    before it, answers in it), and the number of answers. The middle ranks are r1 = ⌊(n+1)/2⌋ and
    r2 = ⌊n/2⌋+1 (the same answer when n is odd)."""
    per_member: dict[int | None, list[tuple[int, int]]] = defaultdict(list)
    everyone: dict[int, int] = defaultdict(int)
    for member, bucket, n in rows:
        per_member[member].append((bucket, n))
        everyone[bucket] += n
    per_member[None] = sorted(everyone.items())
    wanted: dict[int | None, list[tuple[int, int, int]]] = {}
    totals: dict[int | None, int] = {}
    for member_id, buckets in per_member.items():
        total = sum(n for _, n in buckets)
        if not total:
            continue
        first, last = (total + 1) // 2, total // 2 + 1
        before, middle = 0, []
        for bucket, n in buckets:
            if before < last and before + n >= first:
                middle.append((bucket, before, n))
            before += n
        wanted[member_id], totals[member_id] = middle, total
    return wanted, totals


# The answers in those buckets, in seconds: per member the pairs (bucket, member), and everyone's in the
# overall buckets (`overall` true), each an index-only probe of ack_answer_bucket_idx (its expression,
# conditions and included columns), matched to the publisher's released alerts by a hash (an index
# probe of the alert per answer was three quarters of the time).
_BUCKET_ANSWERS = """
WITH released AS MATERIALIZED (
  SELECT id FROM alerts_alert WHERE publisher_id = %(publisher)s AND status = ANY(%(statuses)s)
)
SELECT false AS overall, k.member_id, w.bucket, extract(epoch FROM k.acknowledged_at - k.requested_at)::float8
FROM unnest(%(buckets)s::integer[], %(members)s::bigint[]) AS w(bucket, member_id)
JOIN alerts_acknowledgement k
  ON sax_ack_bucket(k.requested_at, k.acknowledged_at) = w.bucket AND k.member_id = w.member_id
JOIN released a ON a.id = k.alert_id
WHERE k.requested AND k.requested_at IS NOT NULL AND k.acknowledged_at IS NOT NULL AND k.alert_id IS NOT NULL
  AND k.member_id <> %(publisher)s
UNION ALL
SELECT true, k.member_id, w.bucket, extract(epoch FROM k.acknowledged_at - k.requested_at)::float8
FROM unnest(%(overall)s::integer[]) AS w(bucket)
JOIN alerts_acknowledgement k ON sax_ack_bucket(k.requested_at, k.acknowledged_at) = w.bucket
JOIN released a ON a.id = k.alert_id
WHERE k.requested AND k.requested_at IS NOT NULL AND k.acknowledged_at IS NOT NULL AND k.alert_id IS NOT NULL
  AND k.member_id <> %(publisher)s
"""


class _Drift(Exception):
    """A tally disagrees with the answers it counts."""


def _medians(member: Member) -> tuple[dict[int, float], float | None]:
    """Each member's median answer time in seconds, and everyone's, on `member`'s released alerts."""
    params: dict[str, Any] = {"publisher": member.pk, "statuses": RELEASED}
    with transaction.atomic(), connection.cursor() as cursor:
        # Without parallel workers: starting two for a 40 ms probe made it 60 ms on two cores.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(_DISTRIBUTION, params)
        wanted, totals = _middle_buckets(cursor.fetchall())
        if not wanted:
            return {}, None
        pairs = [(bucket, member_id) for member_id, rows in wanted.items() if member_id is not None
                 for bucket, _, _ in rows]
        cursor.execute(_BUCKET_ANSWERS, {
            **params, "buckets": [b for b, _ in pairs], "members": [m for _, m in pairs],
            "overall": [bucket for bucket, _, _ in wanted.get(None, [])],
        })
        answers = cursor.fetchall()
    values: dict[tuple[int | None, int], list[float]] = defaultdict(list)
    for overall, member_id, bucket, seconds in answers:
        values[(None if overall else member_id, bucket)].append(seconds)
    medians: dict[int | None, float] = {}
    for member_id, rows in wanted.items():
        try:
            medians[member_id] = _middle(
                rows, totals[member_id], lambda bucket, key=member_id: values.get((key, bucket), [])
            )
        except _Drift:
            log.error("acknowledgement tallies disagree with the answers (publisher %s, member %s): "
                      "the median is counted from the rows; run SELECT sax_ack_tallies_rebuild()",
                      member.code, member_id if member_id is not None else "all")
            medians[member_id] = _median_from_rows(member, member_id)
    overall = medians.pop(None, None)
    return cast(dict[int, float], medians), overall


def _middle(buckets: list[tuple[int, int, int]], total: int, answers: Any) -> float:
    """percentile_cont(0.5) from the buckets holding the middle ranks and the answers in each."""
    def at(rank: int) -> float:
        for bucket, before, n in buckets:
            if before < rank <= before + n:
                found = sorted(answers(bucket))
                if len(found) != n:
                    raise _Drift
                return found[rank - before - 1]
        raise _Drift
    return (at((total + 1) // 2) + at(total // 2 + 1)) / 2


def _median_from_rows(member: Member, member_id: int | None) -> float:
    acks = publisher_acknowledgements(member)
    if member_id is not None:
        acks = acks.filter(member_id=member_id)
    hours = median_hours_to_acknowledge(acks)
    return 0.0 if hours is None else hours * 3600
