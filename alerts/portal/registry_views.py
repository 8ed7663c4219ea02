"""Portal pages of the tool registry and of signals.

The registry is shared (every active member sees every tool), but what a tool's page shows about
it — alerts, reports, signals and the pooled trend — comes through the visibility selectors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from alerts import selectors
from alerts.choices import (
    AlertStatus,
    AuthorizationStatus,
    ClinicalArea,
    Metric,
    ReportStatus,
    Severity,
    SignalKind,
    SignalStatus,
)
from alerts.filters import TOOL_SEARCH_FIELDS, SignalFilter, ToolFilter, search_q
from alerts.performance_selectors import tool_performance
from alerts.portal.charts import charts_for
from alerts.portal.filter_words import FilterLabels, filters_in_words
from alerts.services.signals import signal_draft_alert
from alerts.services.versions import tool_versions
from exchange.choices import Scope
from exchange.portal.access import Portal, member_view, service_errors
from exchange.portal.pages import page_or_404, paginate, render_page

CHOICES = {
    "clinical_areas": ClinicalArea.choices,
    "authorization_statuses": AuthorizationStatus.choices,
    "metrics": Metric.choices,
    "severities": Severity.choices,
    "statuses": AlertStatus.choices,
    "report_statuses": ReportStatus.choices,
    "signal_kinds": SignalKind.choices,
    "signal_statuses": SignalStatus.choices,
}


@member_view()
def tool_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    filterset = ToolFilter(request.GET or None, queryset=selectors.tools_list(), request=request)
    filterset.form.fields["authorised_in"].help_text = "ISO code, e.g. GB"
    queryset = filterset.qs
    search = request.GET.get("search", "").strip()
    if search:
        queryset = queryset.filter(search_q(TOOL_SEARCH_FIELDS, search)).distinct()
    context = {**paginate(request, queryset.order_by("name")), **CHOICES, "filterset": filterset, "search": search}
    return render_page(request, portal, "alerts/tool_list.html", context, section="tools")


@member_view()
def tool_detail(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    tool = page_or_404(selectors.tools_list(), detail=gettext("No such tool."), pk=pk)
    member = portal.member
    alerts = (  # one row per alert: (alert, tool) is unique, so no DISTINCT over every column (~30 % of it at 1.0)
        selectors.alerts_visible_to(member=member).filter(affected_tool_rows__tool=tool)
        .select_related("publisher").order_by("-published_at", "-created_at")
    )
    reports = (
        selectors.reports_visible_to(member=member).filter(tool=tool)
        .select_related("publisher").order_by("-period_end", "-created_at")
    )
    signals = selectors.signals_visible_to(member=member).filter(tool=tool)
    performance = tool_performance(tool=tool, member=member)
    authorizations = list(tool.authorizations.all())
    own_baseline = {
        b.metric: b.value for a in authorizations if a.jurisdiction == member.country for b in a.baseline.all()
    }
    context = {
        **CHOICES,
        "tool": tool,
        "authorizations": authorizations,
        "authorised_here": any(
            a.jurisdiction == member.country and a.status == AuthorizationStatus.AUTHORISED for a in authorizations
        ),
        "own_baseline": own_baseline,
        "identifiers": list(tool.identifiers.all()),
        "alerts": list(alerts[:50]),
        "reports": list(reports[:50]),
        "signals": list(signals),
        "performance": performance,
        "charts": charts_for(performance, own_jurisdiction=member.country),
        "versions": tool_versions(tool),
    }
    return render_page(request, portal, "alerts/tool_detail.html", context, section="tools")


SIGNAL_FILTER_LABELS: FilterLabels = {
    "tool": (_("Tool"), ""),
    "status": (_("Status"), ""),
    "kind": (_("Kind"), ""),
    "metric": (_("Metric"), ""),
}


@member_view()
def signal_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    visible = selectors.signals_visible_to(member=portal.member)
    filterset = SignalFilter(request.GET or None, queryset=visible, request=request)
    active_filters = filters_in_words(filterset, SIGNAL_FILTER_LABELS)
    queryset = filterset.qs.order_by("-updated_at")
    context = {**paginate(request, queryset), **CHOICES, "filterset": filterset, "active_filters": active_filters,
               "filters_open": bool(filterset.form.errors),
               "can_publish": portal.can(Scope.PUBLISH)}
    return render_page(request, portal, "alerts/signal_list.html", context, section="signals")


@require_POST
@member_view(Scope.PUBLISH)
def signal_draft(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    """Turn a signal into a draft alert pre-filled with the evidence."""
    signal = page_or_404(selectors.signals_visible_to(member=portal.member), detail=gettext("No such signal."), pk=pk)
    with service_errors(request):
        alert = signal_draft_alert(actor=portal.user, signal=signal)
        messages.success(request, gettext("A draft alert was made from the signal's evidence. Check it, then publish it."))
        return redirect("portal:alert-detail", pk=alert.pk)
    return redirect("portal:signal-list")
