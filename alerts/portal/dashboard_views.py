"""The publisher's dashboard: who has not yet acted on what this member published, across its alerts.

It shows the API's acknowledgement statistics (`/acknowledgement-stats/`) as a page: per member,
outstanding and overdue answers and the median time to answer; per alert, the same counts with a
link to the alert's tracker, where a deadline is extended; and every overdue answer by name.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from alerts.ack_stats_selectors import (
    ack_stats_by_alert,
    ack_stats_by_member,
    acknowledgements_of_publisher,
    median_hours_to_acknowledge,
)
from alerts.choices import AckState, AlertStatus, RelianceDecision, Severity
from alerts.models import Alert
from alerts.models.acknowledgements import incomplete_q, overdue_q
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import render_page


@member_view(Scope.PUBLISH)
def dashboard(request: HttpRequest, portal: Portal) -> HttpResponse:
    now = timezone.now()
    released = [AlertStatus.PUBLISHED, AlertStatus.CLOSED]
    acks = acknowledgements_of_publisher(member=portal.member, kind="alert").filter(alert__status__in=released)
    by_member = ack_stats_by_member(acknowledgements=acks, now=now)
    own_alerts = Alert.objects.filter(publisher=portal.member, status__in=released)
    by_alert = ack_stats_by_alert(acknowledgements=acks, now=now, limit=50, alerts=own_alerts)
    overdue = list(
        acks.filter(overdue_q(now)).select_related("member", "alert").order_by("deadline", "member__code")[:100]
    )
    outstanding = dict(
        acks.filter(requested=True).filter(incomplete_q())
        .order_by().values_list("member__code").annotate(n=Count("pk"))
    )
    rows = [{"stats": row, "outstanding": outstanding.get(row.member, 0)} for row in by_member]
    totals = {
        "requested": sum(row.requested for row in by_member),
        "outstanding": sum(outstanding.values()),
        "overdue": sum(row.overdue for row in by_member),
        "median_hours": median_hours_to_acknowledge(acks),
    }
    context = {
        "by_member": rows, "by_alert": by_alert, "overdue": overdue, "totals": totals,
        "severities": Severity.choices, "ack_states": AckState.choices, "decisions": RelianceDecision.choices,
        "statuses": AlertStatus.choices,
    }
    return render_page(request, portal, "alerts/dashboard.html", context, section="dashboard")
