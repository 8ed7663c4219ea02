"""The notifications page: what the member's subscriptions matched, newest first (SPEC §2, §6).

Notifications are the member's own rows, written by fan-out for events whose recorded audience
includes the member; every link leads to a page that checks visibility again.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from alerts.choices import AckState, Metric, RelianceDecision
from exchange.choices import EventType
from exchange.models import Notification
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import paginate, render_page


def _target(notification: Notification) -> dict[str, Any]:
    """What a notification is about, for its line on the page: a title and a link."""
    event = notification.event
    payload: dict[str, Any] = event.payload if isinstance(event.payload, dict) else {}
    kind = event.object_type
    url = ""
    title = ""
    if kind == "alert":
        url = reverse("portal:alert-detail", args=[event.object_id])
        title = " ".join(str(part) for part in (payload.get("reference") or "", payload.get("title") or "") if part)
    elif kind == "report":
        url = reverse("portal:report-detail", args=[event.object_id])
        title = f"Performance report on {payload.get('tool_name') or 'a tool'}"
    elif kind == "acknowledgement":
        if payload.get("alert"):
            url = reverse("portal:alert-detail", args=[payload["alert"]]) + "#acknowledgements"
        elif payload.get("report"):
            url = reverse("portal:report-detail", args=[payload["report"]])
        state = str(dict(AckState.choices).get(payload.get("state") or "", ""))
        decision = str(dict(RelianceDecision.choices).get(payload.get("decision") or "", ""))
        answer = "; ".join(part for part in (state, f"decision: {decision}" if decision else "") if part)
        title = (f"{payload.get('member', '')} answered {payload.get('alert_reference') or 'a report'}"
                 f"{': ' + answer if answer else ''}").strip()
    elif kind == "signal":
        url = reverse("portal:signal-list")
        metric = dict(Metric.choices).get(payload.get("metric") or "", payload.get("metric") or "")
        title = f"Signal on {payload.get('tool_name') or 'a tool'}: {metric}".strip()
    else:
        title = kind.replace("_", " ")
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
