"""The publisher's dashboard: who has not yet acted on what this member published, across its alerts.

It shows the API's acknowledgement statistics (`/acknowledgement-stats/`) as a page: per member,
outstanding and overdue answers and the median time to answer; per alert, the same counts with a
link to the alert's tracker, where a deadline is extended; and every overdue answer by name.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from alerts.ack_stats_selectors import ack_stats_by_alert
from alerts.choices import AckState, AlertStatus, RelianceDecision, Severity
from alerts.dashboard_selectors import RELEASED, answer_counts, publisher_acknowledgements
from alerts.models import Alert
from alerts.models.acknowledgements import overdue_q
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import render_page


@member_view(Scope.PUBLISH)
def dashboard(request: HttpRequest, portal: Portal) -> HttpResponse:
    now = timezone.now()
    acks = publisher_acknowledgements(portal.member)
    counts = answer_counts(member=portal.member, now=now)
    own_alerts = Alert.objects.filter(publisher=portal.member, status__in=RELEASED)
    by_alert = ack_stats_by_alert(acknowledgements=acks, now=now, limit=50, alerts=own_alerts)
    overdue = list(
        acks.filter(overdue_q(now)).select_related("member", "alert").order_by("deadline", "member__code")[:100]
    )
    totals = {
        "requested": counts.requested, "outstanding": counts.outstanding, "overdue": counts.overdue,
        "median_hours": counts.median_hours,
    }
    context = {
        "by_member": counts.by_member, "by_alert": by_alert, "overdue": overdue, "totals": totals,
        "severities": Severity.choices, "ack_states": AckState.choices, "decisions": RelianceDecision.choices,
        "statuses": AlertStatus.choices,
    }
    return render_page(request, portal, "alerts/dashboard.html", context, section="dashboard")
