"""Portal lists of safety alerts: the inbox (what awaits the member) and the searchable alerts list."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alerts import selectors
from alerts.choices import AuthorizationStatus, Severity
from alerts.filters import AlertFilter
from alerts.inquiry_selectors import inquiries_awaiting
from alerts.models import Acknowledgement, Alert, AlertTool
from alerts.models.acknowledgements import overdue_q
from alerts.portal.filter_words import FilterLabels, filters_in_words
from alerts.portal.views import CHOICES
from alerts.search import alerts_search, ranked_first
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view
from exchange.portal.pages import paginate, paginate_counted, render_page

# Most urgent first: severity, then deadline (the API inbox's order; the keys are annotations of inbox_for).
INBOX_ORDER: tuple[str, ...] = ("-severity_rank", "deadline_key", "requested_at", "id")


# --- inbox ------------------------------------------------------------------------------------------


INBOX_FILTERS = {
    "overdue": (_("Overdue"), lambda qs, now: qs.filter(overdue_q(now))),
    "critical": (_("Critical"), lambda qs, now: qs.filter(alert__severity=Severity.CRITICAL)),
    "unanswered": (_("Not yet answered"), lambda qs, now: qs.filter(state__isnull=True)),
}


INBOX_PAGE = 50  # alerts needing action per page; reports for information shown (the rest: /reports/)


@member_view()
def inbox(request: HttpRequest, portal: Portal) -> HttpResponse:
    """What awaits the member: alerts that need its action first (most urgent first: severity, then
    deadline), then performance reports shared for information."""
    items = selectors.inbox_for(member=portal.member).order_by(*INBOX_ORDER)
    show = request.GET.get("show", "")
    if show in INBOX_FILTERS:
        items = INBOX_FILTERS[show][1](items, timezone.now())
    # A page of each: rendering is what an inbox of hundreds costs (SPEC §7), not finding them.
    page = paginate_counted(request, items.filter(alert__isnull=False), per_page=INBOX_PAGE)
    actions = list(page["page_obj"].object_list)
    reports = items.filter(report__isnull=False)
    for_information = list(reports[:INBOX_PAGE])
    authorised = _authorised_here(portal, actions)
    reviews = list(selectors.reliance_reviews_open_for(member=portal.member))
    waiting_requests = list(inquiries_awaiting(member=portal.member).select_related("asker")[:200])
    context = {
        **page, **CHOICES, "actions": actions, "for_information": for_information, "authorised_here": authorised,
        "for_information_count": len(for_information) if len(for_information) < INBOX_PAGE else reports.count(),
        "can_ack": portal.can(Scope.ACKNOWLEDGE), "show": show,
        "inbox_filters": [(key, text) for key, (text, _) in INBOX_FILTERS.items()],
        # Open reliance reviews come first, above alerts (SPEC §10.1), most urgent first.
        "reliance_reviews": reviews, "waiting_requests": waiting_requests,
        # What the navigation counts, known here already (the whole inbox, unfiltered): not counted again.
        "inbox_waiting": None if show else page["page_obj"].paginator.count + len(reviews) + len(waiting_requests),
    }
    return render_page(request, portal, "alerts/inbox.html", context, section="inbox")


def _authorised_here(portal: Portal, acks: list[Acknowledgement]) -> set[Any]:
    """The alerts (ids) that name a tool authorised in the member's own jurisdiction."""
    alert_ids = [ack.alert_id for ack in acks if ack.alert_id]
    if not alert_ids or not portal.member.country:
        return set()
    return set(
        AlertTool.objects.filter(
            alert_id__in=alert_ids, tool__authorizations__jurisdiction=portal.member.country,
            tool__authorizations__status=AuthorizationStatus.AUTHORISED,
        ).values_list("alert_id", flat=True)
    )


# --- list and search --------------------------------------------------------------------------------


ALERT_FILTER_LABELS: FilterLabels = {
    "status": (_("Status"), ""),
    "severity": (_("Severity"), ""),
    "alert_type": (_("Type of alert"), ""),
    "distribution": (_("Shared with"), ""),
    "publisher": (_("Published by"), _("A member's code, e.g. FDA")),
    "tool": (_("Affected tool"), ""),
    "jurisdiction": (_("Affected jurisdiction"), _("A country code, e.g. GB, or EU")),
    "published_after": (_("Published on or after"), _("Date and time in UTC")),
    "published_before": (_("Published before"), _("Date and time in UTC")),
    "reference": (_("Reference"), _("e.g. SAX-2026-000012")),
}


def _filters_for_display(filterset: AlertFilter) -> list[tuple[str, str]]:
    """Human labels and widgets on the API's own filterset (the same filters, the same validation)."""
    return filters_in_words(filterset, ALERT_FILTER_LABELS, multiple=("status", "severity", "alert_type"))


def _my_answers(portal: Portal, alerts: list[Alert]) -> dict[Any, Acknowledgement]:
    """The member's own acknowledgement of each alert on the page (state and deadline columns)."""
    rows = Acknowledgement.objects.filter(member=portal.member, alert_id__in=[a.pk for a in alerts])
    return {ack.alert_id: ack for ack in rows}


@member_view()
def alert_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    visible = selectors.alerts_visible_to(member=portal.member)
    filterset = AlertFilter(request.GET or None, queryset=visible, request=request)
    active_filters = _filters_for_display(filterset)
    queryset: QuerySet[Alert] = filterset.qs
    search = request.GET.get("search", "").strip()
    queryset = alerts_search(queryset, search)  # best match first when searched (alerts.search)
    queryset = ranked_first(selectors.alerts_with_details(queryset), F("published_at").desc(nulls_first=True),
                            "-created_at")
    page = paginate(request, queryset)
    answers = _my_answers(portal, list(page["page_obj"].object_list))
    rows = [(alert, answers.get(alert.pk)) for alert in page["page_obj"].object_list]
    context = {
        **page, **CHOICES, "filterset": filterset, "search": search, "rows": rows,
        "active_filters": active_filters, "filters_open": bool(filterset.form.errors),
        "can_draft": portal.can(Scope.DRAFT),
    }
    return render_page(request, portal, "alerts/alert_list.html", context, section="alerts")
