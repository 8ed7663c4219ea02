"""The network view of acknowledgements (issue #5): per member and per alert, counted by the database.

Reads only. Per member: how many answers were requested, given and acted on, how many are overdue
now, and the median time from the request to the first answer (PostgreSQL's `percentile_cont`; the
embedded SQLite default has no percentile aggregate, so there the median is taken in Python over
the durations alone). Network staff see the whole network in the Django admin; a member sees, through
the API, how the network answers the alerts and reports it published.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, cast

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone

from alerts.choices import AckState
from alerts.models import Acknowledgement
from alerts.models.acknowledgements import overdue_q
from exchange.models import Member


class Median(Aggregate):
    """PostgreSQL: the continuous median of the expression."""

    function = "PERCENTILE_CONT"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


class EpochSeconds(Func):
    """PostgreSQL: the length of an interval in seconds."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


ANSWERED_REQUEST = Q(requested=True, requested_at__isnull=False, acknowledged_at__isnull=False)


COUNTED = ("requested", "acknowledged", "acted", "not_applicable", "overdue")


def _counts(now: datetime) -> dict[str, Any]:
    # Named apart from the model's fields: an annotation called `requested` would shadow the
    # `requested` column in the filters of the annotations after it.
    conditions = {
        "requested": Q(requested=True),
        "acknowledged": Q(state__isnull=False),
        "acted": Q(state=AckState.ACTION_TAKEN),
        "not_applicable": Q(state=AckState.NOT_APPLICABLE),
        "overdue": overdue_q(now),
    }
    return {f"n_{name}": Count("pk", filter=condition) for name, condition in conditions.items()}


def _counted(row: dict[str, Any]) -> dict[str, int]:
    return {name: row[f"n_{name}"] for name in COUNTED}


@dataclass(frozen=True)
class MemberAckStats:
    member: str
    name: str
    requested: int
    acknowledged: int
    acted: int
    not_applicable: int
    overdue: int
    median_hours_to_acknowledge: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median_hours_in_python(acknowledgements: QuerySet[Acknowledgement]) -> dict[int, float]:
    """For databases without a percentile aggregate (the embedded SQLite default)."""
    durations: dict[int, list[float]] = defaultdict(list)
    rows = acknowledgements.filter(ANSWERED_REQUEST).order_by().values_list("member_id", "requested_at",
                                                                             "acknowledged_at")
    for member_id, requested_at, acknowledged_at in rows:
        if requested_at is not None and acknowledged_at is not None:  # always, by ANSWERED_REQUEST
            durations[member_id].append((acknowledged_at - requested_at).total_seconds())
    return {member_id: statistics.median(values) for member_id, values in durations.items()}


def ack_stats_by_member(
    *, acknowledgements: QuerySet[Acknowledgement], now: datetime | None = None
) -> list[MemberAckStats]:
    """One row per member that has an acknowledgement among `acknowledgements`, by member code."""
    now = now or timezone.now()
    in_database = connection.vendor == "postgresql"
    aggregates = _counts(now)
    if in_database:
        aggregates["median_seconds"] = Median(
            EpochSeconds(F("acknowledged_at") - F("requested_at")), filter=ANSWERED_REQUEST
        )
    rows = cast(Iterable[dict[str, Any]], (
        acknowledgements.order_by()
        .values("member_id", "member__code", "member__name")
        .annotate(**aggregates)
        .order_by("member__code")
    ))
    medians = {} if in_database else _median_hours_in_python(acknowledgements)
    stats = []
    for row in rows:
        seconds = row["median_seconds"] if in_database else medians.get(row["member_id"])
        stats.append(MemberAckStats(
            member=row["member__code"], name=row["member__name"], **_counted(row),
            median_hours_to_acknowledge=None if seconds is None else round(seconds / 3600, 2),
        ))
    return stats


def median_hours_to_acknowledge(acknowledgements: QuerySet[Acknowledgement]) -> float | None:
    """The median time from request to answer over all the answered requests, in hours: one
    aggregate in PostgreSQL (no row per answer read into Python), in Python elsewhere."""
    answered = acknowledgements.filter(ANSWERED_REQUEST).order_by()
    if connection.vendor == "postgresql":
        seconds = answered.aggregate(m=Median(EpochSeconds(F("acknowledged_at") - F("requested_at"))))["m"]
        return None if seconds is None else seconds / 3600
    durations = [(answered_at - asked).total_seconds() / 3600
                 for asked, answered_at in answered.values_list("requested_at", "acknowledged_at")
                 if asked is not None and answered_at is not None]  # always, by ANSWERED_REQUEST
    return statistics.median(durations) if durations else None


def ack_stats_by_alert(
    *, acknowledgements: QuerySet[Acknowledgement], now: datetime | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """One row per alert (newest publication first): requested, acknowledged, acted, overdue."""
    now = now or timezone.now()
    rows = cast(Iterable[dict[str, Any]], (
        acknowledgements.filter(alert__isnull=False).order_by()
        .values("alert_id", "alert__reference", "alert__title", "alert__severity", "alert__status",
                "alert__publisher__code", "alert__published_at")
        .annotate(**_counts(now))
        .order_by(F("alert__published_at").desc(nulls_last=True), "alert_id")[:limit]
    ))
    return [
        {
            "alert": row["alert_id"], "reference": row["alert__reference"], "title": row["alert__title"],
            "severity": row["alert__severity"], "status": row["alert__status"],
            "publisher": row["alert__publisher__code"], "published_at": row["alert__published_at"],
            **_counted(row),
        }
        for row in rows
    ]


def acknowledgements_of_publisher(
    *,
    member: Member,
    kind: str | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
) -> QuerySet[Acknowledgement]:
    """The acknowledgements other members gave (or owe) on what `member` published."""
    alerts = Q(alert__publisher=member)
    reports = Q(report__publisher=member)
    if published_after is not None:
        alerts &= Q(alert__published_at__gte=published_after)
        reports &= Q(report__published_at__gte=published_after)
    if published_before is not None:
        alerts &= Q(alert__published_at__lt=published_before)
        reports &= Q(report__published_at__lt=published_before)
    subject = {"alert": alerts, "report": reports}.get(kind or "", alerts | reports)
    return Acknowledgement.objects.filter(subject).exclude(member=member)


def ack_stats_for_publisher(
    *,
    member: Member,
    kind: str | None = None,
    published_after: datetime | None = None,
    published_before: datetime | None = None,
) -> list[MemberAckStats]:
    """Per responding member, on the alerts (and reports) `member` published: the API's network view."""
    acknowledgements = acknowledgements_of_publisher(
        member=member, kind=kind, published_after=published_after, published_before=published_before,
    )
    return ack_stats_by_member(acknowledgements=acknowledgements)
