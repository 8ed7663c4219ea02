"""The notifications page: what the member's subscriptions matched, newest first (SPEC §2, §6).

Notifications are the member's own rows, written by fan-out for events whose recorded audience
includes the member; every link leads to a page that checks visibility again.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext

from alerts.choices import AckState, Metric, RelianceDecision
from exchange.choices import EventType
from exchange.models import Notification
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import paginate, render_page


def _alert_target(event: Any, payload: dict[str, Any]) -> tuple[str, str]:
    url = reverse("portal:alert-detail", args=[event.object_id])
    return url, " ".join(str(part) for part in (payload.get("reference") or "", payload.get("title") or "") if part)


def _report_target(event: Any, payload: dict[str, Any]) -> tuple[str, str]:
    url = reverse("portal:report-detail", args=[event.object_id])
    return url, gettext("Performance report on %(tool)s") % {"tool": payload.get("tool_name") or gettext("a tool")}


def _acknowledgement_target(event: Any, payload: dict[str, Any]) -> tuple[str, str]:
    url = ""
    if payload.get("alert"):
        url = reverse("portal:alert-detail", args=[payload["alert"]]) + "#acknowledgements"
    elif payload.get("report"):
        url = reverse("portal:report-detail", args=[payload["report"]])
    state = dict(AckState.choices).get(payload.get("state") or "", "")
    decision = dict(RelianceDecision.choices).get(payload.get("decision") or "", "")
    decided = gettext("decision: %(decision)s") % {"decision": decision} if decision else ""
    answer = "; ".join(str(part) for part in (state, decided) if part)
    title = (gettext("%(member)s answered %(subject)s") % {
        "member": payload.get("member", ""), "subject": payload.get("alert_reference") or gettext("a report")}
        + (": " + answer if answer else "")).strip()
    return url, title


def _signal_target(event: Any, payload: dict[str, Any]) -> tuple[str, str]:
    metric = dict(Metric.choices).get(payload.get("metric") or "", payload.get("metric") or "")
    title = (gettext("Signal on %(tool)s: %(metric)s") % {
        "tool": payload.get("tool_name") or gettext("a tool"), "metric": metric}).strip()
    return reverse("portal:signal-list"), title


_TARGETS = {"alert": _alert_target, "report": _report_target, "acknowledgement": _acknowledgement_target,
            "signal": _signal_target}


def _target(notification: Notification) -> dict[str, Any]:
    """What a notification is about, for its line on the page: a title and a link."""
    event = notification.event
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    describe = _TARGETS.get(event.object_type)
    url, title = describe(event, payload) if describe else ("", event.object_type.replace("_", " "))
    return {"url": url, "title": title or event.object_id}


@member_view()
def notifications(request: HttpRequest, portal: Portal) -> HttpResponse:
    rows = Notification.objects.filter(member=portal.member).select_related("event").order_by("-sequence")
    context = paginate(request, rows, per_page=50)
    context["items"] = [
        {"notification": n, "type": dict(EventType.choices).get(n.event.type, n.event.type), **_target(n)}
        for n in context["page_obj"]
    ]
    return render_page(request, portal, "alerts/notifications.html", context, section="notifications")
