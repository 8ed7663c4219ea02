"""Reads of the content. Every read path of alerts and reports starts from a visibility selector here."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from django.db import connection
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from alerts.choices import (
    SEVERITY_RANK,
    AlertStatus,
    AuthorizationStatus,
    Distribution,
    ReportStatus,
    ReviewStatus,
    SignalStatus,
)
from alerts.models import (
    Acknowledgement,
    Alert,
    AlertRecipient,
    AlertRevision,
    AlertTool,
    AlertTranslation,
    Authorization,
    BaselineMetric,
    RelianceReview,
    Report,
    ReportMetric,
    ReportRecipient,
    ReportSubgroup,
    Signal,
    Tool,
)
from alerts.models.reliance import latest_change_review_status
from exchange.choices import AudienceKind
from exchange.models import Member


def tools_list() -> QuerySet[Tool]:
    """The shared registry: every active member sees every tool."""
    return Tool.objects.select_related("registered_by").prefetch_related(
        "identifiers",
        Prefetch("authorizations", queryset=authorizations_with_reliance(Authorization.objects.all())),
    )


def authorizations_with_reliance(queryset: QuerySet[Authorization]) -> QuerySet[Authorization]:
    """Authorisations with what their payload reads: baseline, members, reference, `reference_lapsed`."""
    return queryset.select_related("recorded_by", "relies_on__recorded_by").prefetch_related("baseline").annotate(
        latest_change_review_status=latest_change_review_status(),
    )


def authorizations_list(*, tool: Tool) -> QuerySet[Authorization]:
    return authorizations_with_reliance(Authorization.objects.filter(tool=tool))


def alert_visibility_q(member: Member) -> Q:
    """SPEC §3: the publisher sees its own; others see released alerts whose distribution includes them."""
    released = ~Q(status=AlertStatus.DRAFT)
    in_distribution = Q(distribution__in=[Distribution.NETWORK, Distribution.PUBLIC]) | Q(
        Exists(AlertRecipient.objects.filter(alert=OuterRef("pk"), member=member))
    )
    return Q(publisher=member) | (released & in_distribution)


def alerts_visible_to(*, member: Member | None) -> QuerySet[Alert]:
    if member is None or not member.is_active:
        return Alert.objects.none()
    return Alert.objects.filter(alert_visibility_q(member))


def alerts_with_details(queryset: QuerySet[Alert]) -> QuerySet[Alert]:
    return queryset.select_related("publisher").prefetch_related(
        Prefetch("affected_tool_rows", queryset=AlertTool.objects.select_related("tool")),
        "jurisdiction_rows",
        Prefetch("recipient_rows", queryset=AlertRecipient.objects.select_related("member")),
        Prefetch("translations", queryset=AlertTranslation.objects.select_related("member")),
    )


def alerts_public() -> QuerySet[Alert]:
    return Alert.objects.filter(distribution=Distribution.PUBLIC).exclude(status=AlertStatus.DRAFT)


def alert_audience(alert: Alert) -> tuple[str, list[str]]:
    """Who an alert's events are for, computed by the same rule as alert_visibility_q."""
    if alert.distribution == Distribution.PUBLIC:
        return AudienceKind.PUBLIC, [alert.publisher.code]
    if alert.distribution == Distribution.NETWORK:
        return AudienceKind.NETWORK, [alert.publisher.code]
    codes = list(
        Member.objects.filter(alertrecipient_set_for_audience(alert)).values_list("code", flat=True)
    )
    return AudienceKind.MEMBERS, sorted({alert.publisher.code, *codes})


def alertrecipient_set_for_audience(alert: Alert) -> Q:
    return Q(pk__in=AlertRecipient.objects.filter(alert=alert).values("member_id"))


def alert_audience_members(alert: Alert) -> QuerySet[Member]:
    """The active members in an alert's audience (publisher included)."""
    active = Member.objects.filter(status="active")
    if alert.distribution in (Distribution.PUBLIC, Distribution.NETWORK):
        return active
    return active.filter(Q(pk=alert.publisher_id) | alertrecipient_set_for_audience(alert))


def authorizations_current(*, tool_ids: Collection[uuid.UUID | str] | None = None) -> QuerySet[Authorization]:
    """The one rule for "authorised in": an authorisation whose status is `authorised` (not suspended or
    withdrawn). Facets, subscriptions' `authorised_in`, acknowledgement requests, baselines and the
    registry's `authorised_in` filter all start here."""
    current = Authorization.objects.filter(status=AuthorizationStatus.AUTHORISED)
    return current if tool_ids is None else current.filter(tool_id__in=tool_ids)


def baselines_current(*, tool: Tool) -> QuerySet[BaselineMetric]:
    """The performance the tool's current authorisations declare, by jurisdiction."""
    return (
        BaselineMetric.objects.filter(authorization__in=authorizations_current(tool_ids=[tool.pk]))
        .select_related("authorization").order_by("authorization__jurisdiction")
    )


def tools_authorised_in(tool_ids: Collection[uuid.UUID | str]) -> list[str]:
    """The jurisdictions where any of the tools is currently authorised."""
    return sorted(set(authorizations_current(tool_ids=tool_ids).values_list("jurisdiction", flat=True)))


def _inbox_alert_q(member: Member) -> Q:
    """In the inbox as an alert: a published alert the member may see."""
    visible_alerts = alerts_visible_to(member=member).filter(status=AlertStatus.PUBLISHED)
    return Q(Exists(visible_alerts.filter(pk=OuterRef("alert_id"))))


def inbox_alerts_for(*, member: Member) -> QuerySet[Acknowledgement]:
    """The alerts of `inbox_for` alone, unordered and without its annotations: what the navigation counts on
    every page (an acknowledgement has one subject, so the reports' rule has nothing to add)."""
    return (
        Acknowledgement.objects.filter(member=member, requested=True, alert__isnull=False)
        .filter(_inbox_alert_q(member)).incomplete().order_by()
    )


def inbox_for(*, member: Member) -> QuerySet[Acknowledgement]:
    """Requested, incomplete acknowledgements of the member on objects it may see, most urgent first."""
    far_future = Value(datetime(9999, 12, 31, tzinfo=UTC), output_field=DateTimeField())
    visible_reports = reports_visible_to(member=member).filter(status=ReportStatus.PUBLISHED)
    return (
        Acknowledgement.objects.filter(member=member, requested=True)
        # Each subject looked up from the acknowledgement (correlated EXISTS): `alert__in=… | report__in=…`
        # made PostgreSQL hash every report the member may see first (1.2 s at 100,000 reports).
        .filter(_inbox_alert_q(member) | Exists(visible_reports.filter(pk=OuterRef("report_id"))))
        .incomplete()
        .annotate(
            # Each row's alert is probed for its severity (an index lookup per row): a join made PostgreSQL
            # hash every alert of the network (50,000 rows, ~100 ms at scale 1.0) to rank a few thousand rows.
            severity_rank=Coalesce(Subquery(
                Alert.objects.filter(pk=OuterRef("alert_id")).order_by().annotate(rank=Case(
                    *[When(severity=sev, then=Value(rank)) for sev, rank in SEVERITY_RANK.items()],
                    default=Value(0), output_field=IntegerField(),
                )).values("rank")[:1]
            ), Value(0)),
            deadline_key=Coalesce("deadline", far_future),
        )
        # The page's alerts and reports are read after it is cut (a few queries whatever the inbox's size).
        .select_related("member")
        .prefetch_related("alert__publisher", "report__publisher", "report__tool", "history")
    )


# --- performance reports and signals ------------------------------------------------------------------


def report_visibility_q(member: Member) -> Q:
    """The same rule as for alerts (SPEC §3): own reports, and published ones distributed to the member."""
    in_distribution = Q(distribution__in=[Distribution.NETWORK, Distribution.PUBLIC]) | Q(
        Exists(ReportRecipient.objects.filter(report=OuterRef("pk"), member=member))
    )
    return Q(publisher=member) | (Q(status=ReportStatus.PUBLISHED) & in_distribution)


def reports_visible_to(*, member: Member | None) -> QuerySet[Report]:
    if member is None or not member.is_active:
        return Report.objects.none()
    return Report.objects.filter(report_visibility_q(member))


def reports_with_details(queryset: QuerySet[Report]) -> QuerySet[Report]:
    return queryset.select_related("publisher", "tool").prefetch_related(
        Prefetch("metrics", queryset=ReportMetric.objects.filter(subgroup__isnull=True)),
        Prefetch("subgroups", queryset=ReportSubgroup.objects.prefetch_related("metrics")),
        Prefetch("recipient_rows", queryset=ReportRecipient.objects.select_related("member")),
    )


def report_audience(report: Report) -> tuple[str, list[str]]:
    if report.distribution == Distribution.PUBLIC:
        return AudienceKind.PUBLIC, [report.publisher.code]
    if report.distribution == Distribution.NETWORK:
        return AudienceKind.NETWORK, [report.publisher.code]
    codes = report.recipient_rows.values_list("member__code", flat=True)
    return AudienceKind.MEMBERS, sorted({report.publisher.code, *codes})


def report_audience_members(report: Report) -> QuerySet[Member]:
    active = Member.objects.filter(status="active")
    if report.distribution in (Distribution.PUBLIC, Distribution.NETWORK):
        return active
    recipients = report.recipient_rows.values("member_id")
    return active.filter(Q(pk=report.publisher_id) | Q(pk__in=recipients))


def signals_with_details(queryset: QuerySet[Signal]) -> QuerySet[Signal]:
    return queryset.select_related("tool").prefetch_related(signal_report_ids())


def signal_report_ids() -> Prefetch[str, QuerySet[Report]]:
    """A signal's reports as the payload reads them: their ids only (the busiest tool's signals rest
    on ~150,000 reports at scale 1.0; whole rows made rendering one signal take seconds)."""
    return Prefetch("reports", queryset=Report.objects.only("pk").order_by())


def evidence_visible_to(*, member: Member, tool: Tool) -> QuerySet[Report]:
    """The tool's published reports the member may see, less those a correction *it may see* supersedes.

    A correction hidden from the member does not remove the report it corrects from the member's
    pool (SPEC §2): otherwise the pool would reveal the hidden correction's existence and time.
    """
    from alerts.choices import ReportStatus

    visible = reports_visible_to(member=member).filter(tool=tool, status=ReportStatus.PUBLISHED)
    corrected = visible.filter(supersedes__isnull=False).values("supersedes_id")
    return visible.exclude(pk__in=corrected)


def signals_visible_to(*, member: Member | None) -> QuerySet[Signal]:
    """The signals the member's own evidence raised (SPEC §2, Signal), each with the member's view of it.

    `viewer_status` / `viewer_closed_at` are the member's view: a signal may stay open for one
    member while another member's evidence (a report the first cannot see) closed it for the other.
    """
    from django.db.models import Subquery

    from alerts.models import SignalView

    if member is None or not member.is_active:
        return Signal.objects.none()
    views = SignalView.objects.filter(signal=OuterRef("pk"), member=member)
    return (
        Signal.objects.filter(Exists(views))
        .annotate(viewer_status=Subquery(views.values("status")[:1]),
                  viewer_closed_at=Subquery(views.values("closed_at")[:1]))
        .select_related("tool")
    )


def alerts_for_export(queryset: QuerySet[Alert]) -> QuerySet[Alert]:
    """Alerts with everything the CAP and FHIR exports read: tools with identifiers, revisions."""
    return queryset.select_related("publisher").prefetch_related(
        Prefetch("affected_tool_rows",
                 queryset=AlertTool.objects.select_related("tool").prefetch_related("tool__identifiers")),
        "jurisdiction_rows",
        Prefetch("recipient_rows", queryset=AlertRecipient.objects.select_related("member")),
        Prefetch("revisions", queryset=AlertRevision.objects.order_by("number")),
        Prefetch("translations", queryset=AlertTranslation.objects.select_related("member")),
    )


# --- reliance reviews (SPEC §10.1) ------------------------------------------------------------------


def reliance_reviews_visible_to(*, member: Member | None) -> QuerySet[RelianceReview]:
    """Reviews where the member is the relying or the reference member; nothing for anyone else."""
    if member is None or not member.is_active:
        return RelianceReview.objects.none()
    return RelianceReview.objects.filter(Q(relying_member=member) | Q(reference_member=member)).select_related(
        "authorization__tool", "reference_authorization", "relying_member", "reference_member",
    )


def reliance_reviews_open_for(*, member: Member) -> QuerySet[RelianceReview]:
    """The member's own open reviews (it must decide them), most urgent first: they head its inbox."""
    return (
        reliance_reviews_visible_to(member=member)
        .filter(relying_member=member, status=ReviewStatus.OPEN)
        .select_related("alert")
        .order_by("deadline", "opened_at", "id")
    )


def id_digest(pk: uuid.UUID) -> int:
    """A report id's first 64 bits read as a signed integer: its part of `report_ids_digest`."""
    high = pk.int >> 64
    return high - (1 << 64) if high >= 1 << 63 else high


def wrap_digest(count: int, total: int) -> tuple[int, int]:
    """(count, total) with the total wrapped to a signed 64-bit integer, as a signal row keeps it."""
    total &= (1 << 64) - 1
    return count, total - (1 << 64) if total >= 1 << 63 else total


def report_ids_digest(report_ids: Iterable[uuid.UUID]) -> tuple[int, int]:
    """A set of report ids as (how many, the sum of each id's first 64 bits read as a signed integer,
    wrapped to 64 bits): what a signal keeps of its links (`Signal.evidence_count`, `evidence_digest`)
    so that an evaluation compares report sets, and tells what changed, without reading every link."""
    count = total = 0
    for pk in report_ids:
        total += id_digest(pk)
        count += 1
    return wrap_digest(count, total)


def signal_report_digests(*, tool: Tool) -> dict[uuid.UUID, tuple[int, int]]:
    """Per signal of the tool with an open view: `report_ids_digest` of its links, counted again (summed by
    the database on PostgreSQL): what each signal's `evidence_count` and `evidence_digest` must equal."""
    links = Signal.reports.through.objects.filter(
        signal__tool=tool, signal__views__status=SignalStatus.OPEN,
    ).order_by().values_list("signal_id", "report_id").distinct()
    if connection.vendor != "postgresql":
        ids: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for signal_id, report_id in links:
            ids[signal_id].append(report_id)
        return {signal_id: report_ids_digest(reports) for signal_id, reports in ids.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.signal_id, count(*), sum(('x' || left(replace(l.report_id::text, '-', ''), 16))::bit(64)::bigint)"
            " FROM alerts_signal_reports l WHERE l.signal_id IN (SELECT v.signal_id FROM alerts_signalview v"
            " JOIN alerts_signal s ON s.id = v.signal_id WHERE s.tool_id = %s AND v.status = %s)"
            " GROUP BY l.signal_id", [tool.pk, SignalStatus.OPEN],
        )
        return {signal_id: wrap_digest(count, int(total)) for signal_id, count, total in cursor.fetchall()}
