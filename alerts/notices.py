"""How alerts, reports, signals and acknowledgements read in e-mails (exchange.notices describers).

Registered in `AlertsConfig.ready`. Each describer starts from this app's visibility selectors, so
an e-mail written now — an immediate one, a digest, an "and N more" — tells a member only of what
it may see now (SPEC §3). Values are shown by their labels (alerts.choices), never as raw codes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.choices import SEVERITY_RANK, AlertType, Metric, Severity, SignalKind
from alerts.models import Acknowledgement, Alert, Report, Signal
from alerts.selectors import alerts_visible_to, reports_visible_to, signals_visible_to
from exchange.models import Event, Member
from exchange.notices import Notice, later, notice_item, register_describer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALERT_WHAT = {
    "alert.published": _("Safety alert published"),
    "alert.amended": _("Safety alert amended"),
    "alert.closed": _("Safety alert closed"),
    "alert.withdrawn": _("Safety alert withdrawn"),
}
# A notice's words are lazy (exchange.notices.later): the e-mail renderer puts them in its reader's language.


def label(choices: Any, value: str | None) -> str:
    """A stored value by its label (the one place for labels: the choices' own), lazy: translated when shown."""
    if not value:
        return ""
    try:
        return choices(value).label
    except ValueError:
        return str(value).replace("_", " ")


def _lower(text: Any) -> str:
    return str(text).lower()


def _date(day: Any) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def _figure(value: float) -> str:
    """Three significant figures, with the decimal separator of the language active now."""
    return formats.number_format(float(f"{value:.3g}"))


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


def alert_notice(alert: Alert, *, what: StrOrPromise, item: str, deadline: Any = None) -> Notice:
    severity = label(Severity, alert.severity)
    tools = ", ".join(row.tool.name for row in alert.affected_tool_rows.all())
    lines = [(_("Severity"), severity), (_("Type"), label(AlertType, alert.alert_type)), (_("Tools"), _tools(alert)),
             (_("Published by"), alert.publisher.code), (_("Summary"), alert.summary),
             (_("Recommended actions"), alert.recommended_actions)]
    if alert.withdrawal_reason:
        lines.append((_("Why it was withdrawn"), alert.withdrawal_reason))
    if alert.resolution:
        lines.append((_("Resolution"), alert.resolution))
    return Notice(
        item=item, what=what,
        title=later(lambda: f"{alert.reference} ({_lower(severity)}, {tools}): {alert.title}" if tools
                    else f"{alert.reference} ({_lower(severity)}): {alert.title}"),
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
        notices[event.pk] = alert_notice(alert, what=ALERT_WHAT.get(event.type, _("Safety alert")), item=item,
                                         deadline=deadlines.get(alert.pk))
    return notices


def _metrics(report: Report) -> str:
    return later(lambda: ", ".join(f"{label(Metric, row.metric)} {_figure(row.value)}" for row in report.metrics.all()))


def _report_title(report: Report) -> str:
    return later(lambda: gettext("%(tool)s by %(publisher)s, %(start)s to %(end)s") % {
        "tool": f"{report.tool.name} {report.tool_version} ({report.tool.manufacturer})",
        "publisher": report.publisher.code, "start": _date(report.period_start), "end": _date(report.period_end)})


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
        notices[event.pk] = _report_notice(report)
    return notices


def _report_notice(report: Report) -> Notice:
    return Notice(
        item="report", what=_("Performance report published"), title=_report_title(report),
        path=f"/reports/{report.pk}/",
        lines=tuple((k, v) for k, v in (
            (_("Tool"), f"{report.tool.name} {report.tool_version} ({report.tool.manufacturer})"),
            (_("Published by"), report.publisher.code), (_("Care setting"), report.setting),
            (_("Country"), report.country),
            (_("Sample size"), later(lambda: formats.number_format(report.sample_size, force_grouping=True))),
            (_("Metrics"), _metrics(report)),
        ) if v),
    )


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
        notices[event.pk] = _signal_notice(signal)
    return notices


def _signal_notice(signal: Signal) -> Notice:
    metric = label(Metric, signal.metric)
    kind = label(SignalKind, signal.kind)

    def compared() -> str:
        source = f" ({signal.reference_source})" if signal.reference_source else ""
        return f"{_figure(signal.reference_value)}{source}"

    return Notice(
        item="signal", what=_("Signal detected"),
        title=later(lambda: f"{signal.tool.name} ({signal.tool.manufacturer}): {_lower(metric)}, "
                            f"{str(kind)[:1].lower()}{str(kind)[1:]}"),
        path=f"/tools/{signal.tool_id}/",
        lines=tuple((k, v) for k, v in (
            (_("Tool"), f"{signal.tool.name} ({signal.tool.manufacturer})"), (_("Metric"), metric),
            (_("Finding"), kind), (_("Subgroup"), signal.subgroup),
            (_("Pooled value"), later(lambda: _figure(signal.pooled_value))),
            (_("Compared with"), later(compared)),
        ) if v),
    )


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
        base = alert_notice(alert, what=_("Acknowledgement overdue"), item=item, deadline=ack.deadline)
        notices[event.pk] = Notice(
            item=item, what=_("Acknowledgement overdue"), title=not_acknowledged(ack.member.code, base), path=base.path,
            lines=((_("Member"), ack.member.code), *base.lines), deadline=ack.deadline, urgency=base.urgency,
        )
    return notices


def not_acknowledged(member: str, notice: Notice) -> str:
    """"MHRA has not acknowledged SAX-… (high, …): …" (lazy: in the reader's language)."""
    return later(lambda: gettext("%(member)s has not acknowledged %(alert)s") % {"member": member,
                                                                                  "alert": notice.title})


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
