"""The network view of acknowledgements (issue #5): per member and per alert, counted by the database.

Reads only. Per member: how many answers were requested, given and acted on, how many are overdue
now, and the median time from the request to the first answer (the delivery store's
`median_seconds`: PostgreSQL's `percentile_cont`; the embedded SQLite default has no percentile
aggregate, so there the median is taken in Python over the durations alone). Network staff see the
whole network in the Django admin; a member sees, through the API, how the network answers the
alerts and reports it published.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import cast

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from alerts.choices import AckState
from alerts.models import Acknowledgement, Alert
from alerts.models.acknowledgements import overdue_q
from exchange.json_types import JSONObject
from exchange.models import Member
from exchange.services.deliveries.store import delivery_store

ANSWERED_REQUEST = Q(requested=True, requested_at__isnull=False, acknowledged_at__isnull=False)


COUNTED = ("requested", "acknowledged", "acted", "not_applicable", "overdue")


def _counts(now: datetime) -> JSONObject:
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


def _counted(row: JSONObject) -> dict[str, int]:
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

    def as_dict(self) -> JSONObject:
        return asdict(self)


def ack_stats_by_member(
    *, acknowledgements: QuerySet[Acknowledgement], now: datetime | None = None
) -> list[MemberAckStats]:
    """One row per member that has an acknowledgement among `acknowledgements`, by member code."""
    now = now or timezone.now()
    rows = cast(Iterable[JSONObject], (
        acknowledgements.order_by()
        .values("member_id", "member__code", "member__name")
        .annotate(**_counts(now))
        .order_by("member__code")
    ))
    medians = delivery_store().median_seconds(
        acknowledgements.filter(ANSWERED_REQUEST), group="member_id", start="requested_at", end="acknowledged_at"
    )
    stats = []
    for row in rows:
        seconds = medians.get(row["member_id"])
        stats.append(MemberAckStats(
            member=row["member__code"], name=row["member__name"], **_counted(row),
            median_hours_to_acknowledge=None if seconds is None else round(seconds / 3600, 2),
        ))
    return stats


def median_hours_to_acknowledge(acknowledgements: QuerySet[Acknowledgement]) -> float | None:
    """The median time from request to answer over all the answered requests, in hours: the delivery
    store's median (one aggregate in PostgreSQL, no row per answer read into Python)."""
    # Every answered request has requested=True: grouping by it gives the one overall median.
    medians = delivery_store().median_seconds(
        acknowledgements.filter(ANSWERED_REQUEST), group="requested", start="requested_at", end="acknowledged_at"
    )
    seconds = medians.get(True)
    return None if seconds is None else seconds / 3600


def ack_stats_by_alert(
    *, acknowledgements: QuerySet[Acknowledgement], now: datetime | None = None, limit: int = 100,
    alerts: QuerySet[Alert] | None = None,
) -> list[JSONObject]:
    """One row per alert (newest publication first): requested, acknowledged, acted, overdue.

    The newest `limit` alerts with a row among `acknowledgements` are found first (walking `alerts`,
    all alerts unless given, newest first, an index probe each) and only their rows are counted:
    grouping every row first and keeping 50 groups grew with the publisher's whole history.
    """
    now = now or timezone.now()
    candidates = Alert.objects.all() if alerts is None else alerts
    found = list(
        candidates.filter(Exists(acknowledgements.filter(alert_id=OuterRef("pk"))))
        .order_by("-published_at", "pk").values_list("pk", "published_at")[:limit]
    )
    newest = [pk for pk, _ in found]
    rows_of = acknowledgements.filter(alert_id__in=newest)
    published = [at for _, at in found if at is not None]
    if found and len(published) == len(found):
        # The same rows, said of the alerts too: otherwise the join hashed every alert the publisher
        # released (19,428 for the busiest at scale 1.0: 16 of 20 ms) to keep the newest 50.
        rows_of = rows_of.filter(alert__published_at__gte=min(published))
    rows = cast(Iterable[JSONObject], (
        rows_of.order_by()
        .values("alert_id", "alert__reference", "alert__title", "alert__severity", "alert__status",
                "alert__publisher__code", "alert__published_at")
        .annotate(**_counts(now))
        .order_by("-alert__published_at", "alert_id")
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
