"""Portal pages of real-world performance reports: list, submit (form and CSV), page, publish, acknowledge."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors
from alerts.api.report_import import report_input_validate
from alerts.api.report_serializers import ReportInputSerializer
from alerts.choices import (
    ACK_COMPLETE,
    LOWER_IS_BETTER,
    AckState,
    Distribution,
    Metric,
    RelianceDecision,
    ReportStatus,
)
from alerts.filters import ReportFilter
from alerts.models import Acknowledgement, BaselineMetric, Report
from alerts.portal.filter_words import FilterLabels, filters_in_words
from alerts.portal.forms import AcknowledgeForm, ReportForm, ReportImportForm
from alerts.portal.views import acknowledge_input, member_choices, tool_choices
from alerts.search import ranked_first, reports_search
from alerts.services import reports as report_services
from alerts.services.provenance import report_verified_key
from alerts.services.report_import import reports_import
from exchange.choices import Scope
from exchange.portal.access import Portal, flatten_errors, member_view, safe_next, service_errors
from exchange.portal.pages import page_or_404, paginate, render_form_page, render_page, validate_all

CHOICES = {
    "report_statuses": ReportStatus.choices,
    "distributions": Distribution.choices,
    "metrics": Metric.choices,
    "ack_states": AckState.choices,
    "decisions": RelianceDecision.choices,
}


REPORT_FILTER_LABELS: FilterLabels = {
    "status": (_("Status"), ""),
    "tool": (_("Tool"), ""),
    "publisher": (_("Published by"), _("A member's code, e.g. FDA")),
    "country": (_("Country"), _("A country code, e.g. GB, or EU")),
    "distribution": (_("Shared with"), ""),
    "published_after": (_("Published from"), _("Date and time in UTC")),
    "published_before": (_("Published before"), _("Date and time in UTC")),
}


def visible_report(portal: Portal, pk: Any) -> Report:
    visible = selectors.reports_with_details(selectors.reports_visible_to(member=portal.member))
    return page_or_404(visible, detail=gettext("No such report."), pk=pk)


@member_view()
def report_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    visible = selectors.reports_visible_to(member=portal.member)
    filterset = ReportFilter(request.GET or None, queryset=visible, request=request)
    active_filters = filters_in_words(filterset, REPORT_FILTER_LABELS)
    queryset = filterset.qs
    search = request.GET.get("search", "").strip()
    queryset = reports_search(queryset, search)  # best match first when searched (alerts.search)
    queryset = ranked_first(queryset.select_related("publisher", "tool"), "-published_at", "-created_at")
    context = {**paginate(request, queryset), **CHOICES, "filterset": filterset, "search": search,
               "active_filters": active_filters, "filters_open": bool(filterset.form.errors),
               "can_draft": portal.can(Scope.DRAFT), "can_import": portal.can(Scope.PUBLISH)}
    return render_page(request, portal, "alerts/report_list.html", context, section="reports")


def _detail_context(portal: Portal, report: Report, ack_form: AcknowledgeForm | None = None) -> dict[str, Any]:
    is_publisher = report.publisher_id == portal.member.pk
    context: dict[str, Any] = {
        **CHOICES, "report": report, "is_publisher": is_publisher,
        "can_publish": is_publisher and portal.can(Scope.PUBLISH) and report.status == ReportStatus.DRAFT,
        "can_draft": is_publisher and portal.can(Scope.DRAFT),
        "recipients": [row.member for row in report.recipient_rows.all()],
        "signed_by": report_verified_key(report) if report.signature else None,  # SPEC §8, checked server-side
        "comparisons": _against_baselines(report, own_jurisdiction=portal.member.country),
    }
    if is_publisher and report.status == ReportStatus.PUBLISHED:
        context["audience_acks"] = list(
            Acknowledgement.objects.filter(report=report).select_related("member").prefetch_related("history")
            .order_by("member__code")
        )
    if not is_publisher and report.status == ReportStatus.PUBLISHED:
        ack = (
            Acknowledgement.objects.select_related("member").prefetch_related("history")
            .filter(report=report, member=portal.member).first()
        ) or Acknowledgement(report=report, member=portal.member, revision=1)
        context["my_ack"] = ack
        context["ack_overdue"] = ack.is_overdue()
        context["ack_complete"] = ack.state in ACK_COMPLETE
        context["can_ack"] = portal.can(Scope.ACKNOWLEDGE)
        context["ack_form"] = ack_form or AcknowledgeForm(initial={"decision": ack.decision or ""})
    return context


def _against_baselines(report: Report, *, own_jurisdiction: str) -> list[dict[str, Any]]:
    """Each whole-population metric beside every declared baseline of the tool (own jurisdiction first)."""
    declared: dict[str, list[tuple[str, float]]] = {}
    rows = BaselineMetric.objects.filter(authorization__tool_id=report.tool_id).values_list(
        "metric", "authorization__jurisdiction", "value"
    )
    for metric, jurisdiction, value in rows:
        declared.setdefault(metric, []).append((jurisdiction, value))
    comparisons = []
    for measured in report.metrics.all():
        baselines = []
        for jurisdiction, value in sorted(declared.get(measured.metric, []),
                                          key=lambda jv: (jv[0] != own_jurisdiction, jv[0] != report.country, jv[0])):
            lower_is_better = measured.metric in LOWER_IS_BETTER
            worse_bound = measured.ci_low if lower_is_better else measured.ci_high
            bound = measured.value if worse_bound is None else worse_bound
            worse = bound > value if lower_is_better else bound < value
            baselines.append({"jurisdiction": jurisdiction, "value": value, "difference": measured.value - value,
                              "worse": worse, "own": jurisdiction == own_jurisdiction})
        comparisons.append({"metric": measured.metric, "value": measured.value, "baselines": baselines})
    return comparisons


@member_view()
def report_detail(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    report = visible_report(portal, pk)
    return render_page(request, portal, "alerts/report_detail.html", _detail_context(portal, report),
                       section="reports")


@require_http_methods(["GET", "POST"])
@member_view(Scope.DRAFT)
def report_create(request: HttpRequest, portal: Portal) -> HttpResponse:
    form = ReportForm(request.POST or None, tools=tool_choices(), members=member_choices(portal),
                      initial={"country": portal.member.country})
    if request.method == "POST":
        # Every problem at once: the form's checks and the API serializer's, each on its own row
        # (the rows' field map is known once the form has cleaned).
        form.is_valid()
        data = validate_all(form, ReportInputSerializer, form.api_body, field_map=form.error_field_map())
        if data is not None:
            with service_errors(form, field_map=form.error_field_map()):
                report = report_services.report_draft_create(actor=portal.user, member=portal.member, data=data)
                messages.success(request, gettext("Report saved as a draft. Check it, then publish it."))
                return redirect("portal:report-detail", pk=report.pk)
    return render_form_page(request, portal, "alerts/report_form.html", {"form": form}, section="reports")


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def report_import(request: HttpRequest, portal: Portal) -> HttpResponse:
    """CSV upload, all or nothing (the same service as POST /api/v1/reports/import/)."""
    form = ReportImportForm(request.POST or None, request.FILES or None)
    problems: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            form.add_error("file", gettext("The CSV file must be UTF-8 encoded."))
        else:
            attempt = service_errors(form, detail_only=True)  # the problems by line are listed apart
            with attempt:
                created = reports_import(actor=portal.user, member=portal.member, text=text,
                                         validate=report_input_validate)
                published = sum(1 for r in created if r.status == ReportStatus.PUBLISHED)
                messages.success(request, gettext("Imported %(count)s report(s), %(published)s published.") % {
                    "count": len(created), "published": published})
                return redirect(f"{reverse('portal:report-list')}?publisher={portal.member.code}")
            problems = flatten_errors(attempt.error.errors or {}) if attempt.error else []
    context = {"form": form, "problems": problems}
    return render_form_page(request, portal, "alerts/report_import.html", context, section="reports")


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def report_publish(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    """GET: the review step (what is published, to whom; it cannot change afterwards); POST: publish."""
    report = visible_report(portal, pk)
    if request.method == "GET":
        if report.status != ReportStatus.DRAFT or report.publisher_id != portal.member.pk:
            return redirect("portal:report-detail", pk=report.pk)
        context = {
            **_detail_context(portal, report),
            "audience": list(selectors.report_audience_members(report).exclude(pk=portal.member.pk).order_by("code")),
        }
        return render_page(request, portal, "alerts/report_publish.html", context, section="reports")
    with service_errors(request):
        report_services.report_publish(actor=portal.user, member=portal.member, report=report)
        messages.success(request, gettext("Report published."))
    return redirect("portal:report-detail", pk=report.pk)


@require_POST
@member_view(Scope.DRAFT)
def report_delete(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    report = visible_report(portal, pk)
    with service_errors(request):
        report_services.report_draft_delete(actor=portal.user, report=report)
        messages.success(request, gettext("Draft report deleted."))
        return redirect("portal:report-list")
    return redirect("portal:report-detail", pk=report.pk)


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def report_acknowledge(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    report = visible_report(portal, pk)
    form, data = acknowledge_input(request)
    if data is not None:
        with service_errors(form):
            ack = report_services.report_acknowledge(actor=portal.user, report=report, **data)
            messages.success(request, gettext("Your member's acknowledgement of the report is now '%(state)s'.") % {
                "state": ack.get_state_display()})
            return redirect(safe_next(request, reverse("portal:report-detail", args=[report.pk])))
    return render_page(request, portal, "alerts/report_detail.html", _detail_context(portal, report, form),
                       section="reports", status=400)
