"""Portal pages of safety alerts: an alert's page, its answers, and its lifecycle forms (the inbox and
the list are in `list_views`).

Views parse, call one selector or service, and render. Every alert is read through
`alerts_visible_to(member)` (SPEC §3): an alert the member may not see is a 404 on every page.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from alerts import selectors
from alerts.api.ack_serializers import AcknowledgeSerializer
from alerts.api.alert_serializers import AlertInputSerializer, AmendSerializer
from alerts.choices import (
    ACK_COMPLETE,
    AckState,
    AlertStatus,
    AlertType,
    Distribution,
    RelianceDecision,
    Severity,
    ack_state_next,
    ack_states_one_click,
)
from alerts.fixcheck_selectors import alert_fix_check
from alerts.models import Acknowledgement, Alert, AlertRevision
from alerts.portal.charts import fix_chart
from alerts.portal.forms import (
    AcknowledgeForm,
    AlertForm,
    AmendForm,
    CloseForm,
    DeadlineForm,
    WithdrawForm,
)
from alerts.portal.revisions import revision_changes
from alerts.services import acknowledgements as ack_services
from alerts.services import alerts as alert_services
from alerts.services.provenance import revisions_verified_keys
from alerts.services.reliance import reliance_gaps
from exchange.choices import MemberStatus, Scope
from exchange.models import Member
from exchange.portal.access import Portal, member_view, safe_next, service_errors
from exchange.portal.pages import api_validate, page_or_404, render_form_page, render_page, validate_all

CHOICES = {
    "statuses": AlertStatus.choices,
    "severities": Severity.choices,
    "alert_types": AlertType.choices,
    "distributions": Distribution.choices,
    "ack_states": AckState.choices,
    "decisions": RelianceDecision.choices,
}
TOOL_FIELD_MAP = {"affected_tools": "tool_0"}
FormT = TypeVar("FormT", bound=AlertForm)


# --- shared reads -----------------------------------------------------------------------------------


def visible_alert(portal: Portal, pk: Any) -> Alert:
    """The alert if the member may see it; otherwise 404, whether or not it exists (SPEC §3)."""
    visible = selectors.alerts_with_details(selectors.alerts_visible_to(member=portal.member))
    return page_or_404(visible, detail=gettext("No such alert."), pk=pk)


def acknowledge_input(request: HttpRequest) -> tuple[AcknowledgeForm, dict[str, Any] | None]:
    """The posted answer of an alert or a report, checked by the form and by the API's own serializer."""
    form = AcknowledgeForm(request.POST)
    return form, api_validate(AcknowledgeSerializer, form.api_body(), form) if form.is_valid() else None


def tool_choices() -> list[tuple[str, str]]:
    rows = selectors.tools_list().prefetch_related(None).values_list("id", "name", "manufacturer")
    return [(str(pk), f"{name} — {manufacturer}") for pk, name, manufacturer in rows]


def member_choices(portal: Portal) -> list[tuple[str, str]]:
    members = Member.objects.filter(status=MemberStatus.ACTIVE).exclude(pk=portal.member.pk).order_by("code")
    return [(m.code, f"{m.code} — {m.name}") for m in members]


# --- an alert's page --------------------------------------------------------------------------------


def _fix_check_context(portal: Portal, alert: Alert) -> dict[str, Any]:
    """Did the fix work? Only for a released alert that names the version fixing it."""
    if alert.status == AlertStatus.DRAFT or not any(row.fixed_in for row in alert.affected_tool_rows.all()):
        return {}
    fix_check = alert_fix_check(alert=alert, member=portal.member)
    return {"fix_check": fix_check, "fix_charts": [fix_chart(row) for row in fix_check["metrics"]]}


def _detail_context(portal: Portal, alert: Alert, **forms: Any) -> dict[str, Any]:
    is_publisher = alert.publisher_id == portal.member.pk
    revisions = list(AlertRevision.objects.filter(alert=alert).order_by("number").select_related("created_by"))
    verified = revisions_verified_keys(revisions, publisher=alert.publisher)  # SPEC §8, checked server-side
    context: dict[str, Any] = {
        **CHOICES,
        "alert": alert,
        "is_publisher": is_publisher,
        "revisions": [{**item, "signed_by": verified[item["revision"].number]} for item in revision_changes(revisions)],
        "can_publish": is_publisher and portal.can(Scope.PUBLISH),
        "can_draft": is_publisher and portal.can(Scope.DRAFT),
        "affected_tools": list(alert.affected_tool_rows.all()),
        "jurisdictions": [row.jurisdiction for row in alert.jurisdiction_rows.all()],
        "recipients": [row.member for row in alert.recipient_rows.all()],
        **_fix_check_context(portal, alert),
    }
    if is_publisher and alert.status != AlertStatus.DRAFT:
        acks = ack_services.acknowledgements_of_alert(alert=alert)
        context["audience_acks"] = sorted(acks, key=_tracker_order)
        context["ack_summary"] = ack_services.acknowledgements_summary(acks)
        context["deadline_form"] = forms.get("deadline_form") or DeadlineForm()
        context["deadline_error_member"] = forms.get("deadline_error_member")
    if not is_publisher:
        ack = ack_services.acknowledgement_of(alert=alert, member=portal.member)
        context["my_ack"] = ack
        context["my_previous"] = ack_services.ack_previous(ack)
        context["ack_overdue"] = ack.is_overdue()
        context["ack_complete"] = ack.state in ACK_COMPLETE
        context["can_ack"] = portal.can(Scope.ACKNOWLEDGE) and alert.status in (
            AlertStatus.PUBLISHED, AlertStatus.CLOSED
        )
        context["ack_form"] = forms.get("ack_form") or AcknowledgeForm(
            initial={"state": ack_state_next(ack.state), "decision": ack.decision or "", "rationale": ack.rationale}
        )
        context["one_click_states"] = [(str(s), str(s.label)) for s in ack_states_one_click(ack.state)]
    return context


def _tracker_order(ack: Acknowledgement) -> tuple[int, float, str]:
    """Overdue first, then awaiting an answer (soonest deadline first), then answered, then not asked."""
    if ack.is_overdue():
        group = 0
    elif ack.requested and ack.state not in ACK_COMPLETE:
        group = 1
    elif ack.state is not None:
        group = 2
    else:
        group = 3
    deadline = ack.deadline.timestamp() if ack.deadline else float("inf")
    return group, deadline, ack.member.code


@member_view()
def alert_detail(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = visible_alert(portal, pk)
    return render_page(request, portal, "alerts/alert_detail.html", _detail_context(portal, alert), section="alerts")


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def alert_acknowledge(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = visible_alert(portal, pk)
    form, data = acknowledge_input(request)
    if data is not None:
        with service_errors(form):
            ack = ack_services.acknowledgement_set(actor=portal.user, alert=alert, **data)
            messages.success(request, gettext("%(reference)s: your member's acknowledgement is now '%(state)s'.") % {
                "reference": alert.reference, "state": ack.get_state_display()})
            return redirect(safe_next(request, reverse("portal:alert-detail", args=[alert.pk]) + "#acknowledge"))
    context = _detail_context(portal, alert, ack_form=form)
    return render_page(request, portal, "alerts/alert_detail.html", context, section="alerts", status=400)


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def alert_carry_forward(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    """After a material amendment: answer the new revision as the member answered the earlier one."""
    alert = visible_alert(portal, pk)
    form = AcknowledgeForm()
    with service_errors(form):
        ack = ack_services.acknowledgement_carry_forward(actor=portal.user, alert=alert)
        messages.success(request, gettext(
            "%(reference)s: your answer to the earlier revision now answers revision %(revision)s ('%(state)s').") % {
            "reference": alert.reference, "revision": ack.revision, "state": ack.get_state_display()})
        return redirect(reverse("portal:alert-detail", args=[alert.pk]) + "#acknowledge")
    context = _detail_context(portal, alert, ack_form=form)
    return render_page(request, portal, "alerts/alert_detail.html", context, section="alerts", status=400)


@require_POST
@member_view(Scope.PUBLISH)
def alert_extend_deadline(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = visible_alert(portal, pk)
    form = DeadlineForm(request.POST)
    # The error summary links to the row's own date box (one per member in the tracker).
    form.fields["deadline"].widget.attrs["id"] = f"deadline-{request.POST.get('member', '')}"
    if form.is_valid():
        with service_errors(form):
            ack = ack_services.acknowledgement_extend_deadline(
                actor=portal.user, alert=alert, member_code=form.cleaned_data["member"],
                deadline=form.cleaned_data["deadline"],
            )
            messages.success(request, gettext("The deadline of %(member)s is extended.") % {"member": ack.member.code})
            return redirect(reverse("portal:alert-detail", args=[alert.pk]) + "#tracker")
    context = _detail_context(portal, alert, deadline_form=form, deadline_error_member=request.POST.get("member"))
    return render_page(request, portal, "alerts/alert_detail.html", context, section="alerts", status=400)


# --- draft, preview, publish -----------------------------------------------------------------------


def _alert_form(portal: Portal, form_class: type[FormT], data: Any = None, **kwargs: Any) -> FormT:
    initial = kwargs.pop("initial", None) or {}
    rows = sum(1 for key in initial if key.startswith("tool_")) + 1
    if data is not None:
        rows = max(rows, sum(1 for key in data if key.startswith("tool_")))
    return form_class(data, initial=initial, tools=tool_choices(), members=member_choices(portal), tool_rows=rows,
                      **kwargs)


@require_http_methods(["GET", "POST"])
@member_view(Scope.DRAFT)
def alert_create(request: HttpRequest, portal: Portal) -> HttpResponse:
    if request.method == "POST":
        form = _alert_form(portal, AlertForm, request.POST)
        data = validate_all(form, AlertInputSerializer, form.api_body, field_map=TOOL_FIELD_MAP)
        if data is not None:
            with service_errors(form, field_map=TOOL_FIELD_MAP):
                alert = alert_services.alert_draft_create(actor=portal.user, data=data)
                messages.success(request, gettext("Draft saved. Check it below, then publish it."))
                return redirect("portal:alert-detail", pk=alert.pk)
    else:
        form = _alert_form(portal, AlertForm)
    context = {"form": form, "mode": "create"}
    return render_form_page(request, portal, "alerts/alert_form.html", context, section="alerts")


def _own_alert(portal: Portal, pk: Any) -> Alert:
    """A visible alert of the member's own (another member's is refused as the service would, 403)."""
    alert = visible_alert(portal, pk)
    if alert.publisher_id != portal.member.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(gettext("Only the publishing member (%(member)s) may change this alert.") % {
            "member": alert.publisher.code})
    return alert


@require_http_methods(["GET", "POST"])
@member_view(Scope.DRAFT)
def alert_edit(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = _own_alert(portal, pk)
    if alert.status != AlertStatus.DRAFT:
        messages.warning(request, gettext("A published alert changes only by amendment."))
        return redirect("portal:alert-amend", pk=alert.pk)
    if request.method == "POST":
        form = _alert_form(portal, AlertForm, request.POST)
        data = validate_all(form, AlertInputSerializer, form.api_body, field_map=TOOL_FIELD_MAP)
        if data is not None:
            with service_errors(form, field_map=TOOL_FIELD_MAP):
                alert_services.alert_draft_update(
                    actor=portal.user, alert=alert, data=data, if_match=form.cleaned_data.get("etag") or None
                )
                messages.success(request, gettext("Draft saved."))
                return redirect("portal:alert-detail", pk=alert.pk)
    else:
        initial = {**AlertForm.initial_from(alert_services.alert_render(alert)), "etag": alert.etag}
        form = _alert_form(portal, AlertForm, initial=initial)
    context = {"form": form, "mode": "edit", "alert": alert}
    return render_form_page(request, portal, "alerts/alert_form.html", context, section="alerts")


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def alert_publish(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    """Preview what members will receive and who they are, then publish."""
    alert = _own_alert(portal, pk)
    error = ""
    if request.method == "POST":
        attempt = service_errors(request)
        with attempt:
            alert = alert_services.alert_publish(actor=portal.user, alert=alert)
            messages.success(request, gettext("Published as %(reference)s.") % {"reference": alert.reference})
            return redirect("portal:alert-detail", pk=alert.pk)
        error = attempt.error.detail if attempt.error else ""
    if alert.status != AlertStatus.DRAFT and not error:
        return redirect("portal:alert-detail", pk=alert.pk)
    audience = selectors.alert_audience_members(alert).exclude(pk=alert.publisher_id).order_by("code")
    context = {**_detail_context(portal, alert), "audience": audience, "publish_error": error,
               "reliance_gaps": reliance_gaps(alert=alert)}
    return render_page(request, portal, "alerts/alert_publish.html", context, section="alerts",
                       status=400 if error else 200)


@require_POST
@member_view(Scope.DRAFT)
def alert_delete(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = _own_alert(portal, pk)
    with service_errors(request):
        alert_services.alert_draft_delete(actor=portal.user, alert=alert)
        messages.success(request, gettext("Draft deleted."))
        return redirect("portal:alert-list")
    return redirect("portal:alert-detail", pk=alert.pk)


# --- amend, close, withdraw -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def alert_amend(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    alert = _own_alert(portal, pk)
    if request.method == "POST":
        form = _alert_form(portal, AmendForm, request.POST)
        data = validate_all(form, AmendSerializer, form.amend_body, field_map=TOOL_FIELD_MAP)
        if data is not None:
            change_summary = data.pop("change_summary")
            material = data.pop("material", False)
            with service_errors(form, field_map=TOOL_FIELD_MAP):
                alert = alert_services.alert_amend(
                    actor=portal.user, alert=alert, data=data, change_summary=change_summary,
                    material=material, if_match=form.cleaned_data["etag"],
                )
                messages.success(request, gettext("%(reference)s amended: revision %(revision)s.") % {
                    "reference": alert.reference, "revision": alert.revision})
                return redirect(reverse("portal:alert-detail", args=[alert.pk]) + "#revisions")
    else:
        if alert.status != AlertStatus.PUBLISHED:
            messages.warning(request, gettext("This alert is %(status)s; only a published alert can be amended.") % {
                "status": alert.get_status_display()})
            return redirect("portal:alert-detail", pk=alert.pk)
        initial = {**AlertForm.initial_from(alert_services.alert_render(alert)), "etag": alert.etag}
        form = _alert_form(portal, AmendForm, initial=initial)
    context = {"form": form, "mode": "amend", "alert": alert}
    return render_form_page(request, portal, "alerts/alert_form.html", context, section="alerts")


def _finish(
    request: HttpRequest, portal: Portal, pk: Any, *, form_class: type[CloseForm] | type[WithdrawForm], verb: str,
) -> HttpResponse:
    alert = _own_alert(portal, pk)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            if verb == "close":
                alert = alert_services.alert_close(actor=portal.user, alert=alert,
                                                   resolution=form.cleaned_data["resolution"])
            else:
                alert = alert_services.alert_withdraw(actor=portal.user, alert=alert,
                                                      reason=form.cleaned_data["reason"])
            messages.success(request, (gettext("%(reference)s is closed.") if alert.status == "closed" else gettext("%(reference)s is withdrawn.")) % {
                "reference": alert.reference})
            return redirect("portal:alert-detail", pk=alert.pk)
    context = {"form": form, "alert": alert, "verb": verb}
    return render_form_page(request, portal, "alerts/alert_finish.html", context, section="alerts")


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def alert_close(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    return _finish(request, portal, pk, form_class=CloseForm, verb="close")


@require_http_methods(["GET", "POST"])
@member_view(Scope.PUBLISH)
def alert_withdraw(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    return _finish(request, portal, pk, form_class=WithdrawForm, verb="withdraw")
