"""How alerts, reports, signals and acknowledgements read in e-mails (exchange.notices describers).

Registered in `AlertsConfig.ready`. Each describer starts from this app's visibility selectors, so
an e-mail written now — an immediate one, a digest, an "and N more" — tells a member only of what
it may see now (SPEC §3). Values are shown by their labels (alerts.choices), never as raw codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from alerts.choices import SEVERITY_RANK, AlertType, Metric, Severity, SignalKind
from alerts.models import Acknowledgement, Alert, Report, Signal
from alerts.selectors import alerts_visible_to, reports_visible_to, signals_visible_to
from exchange.models import Event, Member
from exchange.notices import Notice, notice_item, register_describer

ALERT_WHAT = {
    "alert.published": "Safety alert published",
    "alert.amended": "Safety alert amended",
    "alert.closed": "Safety alert closed",
    "alert.withdrawn": "Safety alert withdrawn",
}


def label(choices: Any, value: str | None) -> str:
    """A stored value by its label (the one place for labels: the choices' own)."""
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value).replace("_", " ")


def _ids(events: Sequence[Event]) -> list[str]:
    ids = []
    for event in events:
        try:
            ids.append(str(uuid.UUID(event.object_id)))
        except ValueError:
            continue
    return ids


def _tools(alert: Alert) -> str:
    return ", ".join(f"{row.tool.name} ({row.tool.manufacturer})" for row in alert.affected_tool_rows.all())


def alert_notice(alert: Alert, *, what: str, item: str, deadline: Any = None) -> Notice:
    severity = label(Severity, alert.severity)
    tools = ", ".join(row.tool.name for row in alert.affected_tool_rows.all())
    lines = [("Severity", severity), ("Type", label(AlertType, alert.alert_type)), ("Tools", _tools(alert)),
             ("Published by", alert.publisher.code), ("Summary", alert.summary),
             ("Recommended actions", alert.recommended_actions)]
    if alert.withdrawal_reason:
        lines.append(("Why it was withdrawn", alert.withdrawal_reason))
    if alert.resolution:
        lines.append(("Resolution", alert.resolution))
    return Notice(
        item=item, what=what,
        title=f"{alert.reference} ({severity.lower()}, {tools}): {alert.title}" if tools
        else f"{alert.reference} ({severity.lower()}): {alert.title}",
        path=f"/alerts/{alert.pk}/", lines=tuple((k, v) for k, v in lines if v), deadline=deadline,
        urgency=SEVERITY_RANK.get(alert.severity, 0),
    )


def describe_alerts(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    alerts = {
        str(alert.pk): alert
        for alert in alerts_visible_to(member=member).filter(pk__in=_ids(events))
        .select_related("publisher").prefetch_related("affected_tool_rows__tool")
    }
    deadlines = dict(
        Acknowledgement.objects.filter(alert_id__in=alerts.keys(), member=member, requested=True,
                                       completed_at__isnull=True)
        .values_list("alert_id", "deadline")
    )
    notices = {}
    for event in events:
        alert = alerts.get(event.object_id)
        item = notice_item(event.type, event.facets)
        if alert is None or item is None:
            continue
        notices[event.pk] = alert_notice(alert, what=ALERT_WHAT.get(event.type, "Safety alert"), item=item,
                                         deadline=deadlines.get(alert.pk))
    return notices


def _metrics(report: Report) -> str:
    return ", ".join(
        f"{label(Metric, row.metric)} {row.value:.3g}" for row in report.metrics.all()
    )


def describe_reports(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    reports = {
        str(report.pk): report
        for report in reports_visible_to(member=member).filter(pk__in=_ids(events))
        .select_related("publisher", "tool").prefetch_related("metrics")
    }
    notices = {}
    for event in events:
        report = reports.get(event.object_id)
        if report is None:
            continue
        notices[event.pk] = Notice(
            item="report", what="Performance report published",
            title=f"{report.tool.name} {report.tool_version} ({report.tool.manufacturer}) by {report.publisher.code}, "
                  f"{report.period_start:%d %b %Y} to {report.period_end:%d %b %Y}",
            path=f"/reports/{report.pk}/",
            lines=tuple((k, v) for k, v in (
                ("Tool", f"{report.tool.name} {report.tool_version} ({report.tool.manufacturer})"),
                ("Published by", report.publisher.code), ("Care setting", report.setting),
                ("Country", report.country), ("Sample size", str(report.sample_size)), ("Metrics", _metrics(report)),
            ) if v),
        )
    return notices


def describe_signals(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    signals = {
        str(signal.pk): signal
        for signal in signals_visible_to(member=member).filter(pk__in=_ids(events)).select_related("tool")
    }
    notices = {}
    for event in events:
        signal = signals.get(event.object_id)
        if signal is None:
            continue
        metric = label(Metric, signal.metric)
        kind = label(SignalKind, signal.kind)
        notices[event.pk] = Notice(
            item="signal", what="Signal detected",
            title=f"{signal.tool.name} ({signal.tool.manufacturer}): {metric.lower()}, {kind[0].lower()}{kind[1:]}",
            path=f"/tools/{signal.tool_id}/",
            lines=tuple((k, v) for k, v in (
                ("Tool", f"{signal.tool.name} ({signal.tool.manufacturer})"), ("Metric", metric),
                ("Finding", kind), ("Subgroup", signal.subgroup),
                ("Pooled value", f"{signal.pooled_value:.3g}"),
                ("Compared with", f"{signal.reference_value:.3g}" + (f" ({signal.reference_source})"
                                                                      if signal.reference_source else "")),
            ) if v),
        )
    return notices


def describe_acknowledgements(member: Member, events: Sequence[Event]) -> dict[uuid.UUID, Notice]:
    """Overdue acknowledgements: told to the late member and to the publisher, while it may see the alert."""
    acks = {
        str(ack.pk): ack
        for ack in Acknowledgement.objects.filter(pk__in=_ids(events), alert__isnull=False)
        .select_related("member")
    }
    visible = {
        str(alert.pk): alert
        for alert in alerts_visible_to(member=member).filter(pk__in=[a.alert_id for a in acks.values()])
        .select_related("publisher").prefetch_related("affected_tool_rows__tool")
    }
    notices = {}
    for event in events:
        ack = acks.get(event.object_id)
        alert = visible.get(str(ack.alert_id)) if ack else None
        item = notice_item(event.type, event.facets)
        if ack is None or alert is None or item is None or member.pk not in (ack.member_id, alert.publisher_id):
            continue
        base = alert_notice(alert, what="Acknowledgement overdue", item=item, deadline=ack.deadline)
        notices[event.pk] = Notice(
            item=item, what="Acknowledgement overdue",
            title=f"{ack.member.code} has not acknowledged {base.title}", path=base.path,
            lines=(("Member", ack.member.code), *base.lines), deadline=ack.deadline, urgency=base.urgency,
        )
    return notices


def _existing(model: Any) -> Any:
    def exists(ids: list[str]) -> set[str]:
        valid = [value for value in ids if _is_uuid(value)]
        return {str(pk) for pk in model.objects.filter(pk__in=valid).values_list("pk", flat=True)}

    return exists


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def register() -> None:
    register_describer("alert", describe_alerts, exists=_existing(Alert))
    register_describer("report", describe_reports, exists=_existing(Report))
    register_describer("signal", describe_signals, exists=_existing(Signal))
    register_describer("acknowledgement", describe_acknowledgements, exists=_existing(Acknowledgement))
