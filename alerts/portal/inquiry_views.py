"""Portal pages of information requests: ask (from a subject's page), the thread, the two lists.

Every request is read through `inquiries_visible_to(member)`; a request the member may not see is
the portal's 404 page, like an unknown one. Subjects are looked up as the API does (404 when hidden).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from alerts.inquiry_payloads import answer_signed_payload
from alerts.inquiry_selectors import (
    inquiries_asked_by,
    inquiries_overdue_first,
    inquiries_received_by,
    inquiries_visible_to,
    inquiries_with_details,
)
from alerts.models import Alert, Inquiry, InquiryStatus, Report, Signal, SubjectKind, Tool
from alerts.models.inquiries import today_utc
from alerts.portal.inquiry_forms import AnswerForm, InquiryCloseForm, InquiryForm, MessageForm
from alerts.services import inquiries as services
from exchange.choices import Scope
from exchange.errors import NotFound
from exchange.portal.access import Portal, member_view, service_errors
from exchange.portal.pages import page_or_404, render_form_page, render_page
from exchange.services.provenance import signature_check

LIST_LIMIT = 200


def subject_label(subject: Alert | Report | Signal | Tool) -> tuple[str, str]:
    """How a subject reads in the portal, and where its page is."""
    if isinstance(subject, Alert):
        return f"{subject.reference or gettext('Draft')}: {subject.title}", reverse("portal:alert-detail", args=[subject.pk])
    if isinstance(subject, Report):
        label = gettext("Performance report: %(tool)s %(version)s, %(setting)s (%(country)s)") % {
            "tool": subject.tool.name, "version": subject.tool_version, "setting": subject.setting,
            "country": subject.country}
        return label, reverse("portal:report-detail", args=[subject.pk])
    if isinstance(subject, Signal):
        url = reverse("portal:signal-list") + f"?tool={subject.tool_id}"
        return gettext("Signal: %(metric)s of %(tool)s") % {"metric": subject.get_metric_display(), "tool": subject.tool.name}, url
    return gettext("AI tool: %(tool)s") % {"tool": subject.name}, reverse("portal:tool-detail", args=[subject.pk])


def _named_subject(request: HttpRequest) -> tuple[str, str]:
    for kind in SubjectKind.values:
        value = request.GET.get(kind) or request.POST.get(f"subject_{kind}")
        if value:
            return kind, value
    raise Http404(gettext("No subject named."))


@require_http_methods(["GET", "POST"])
@member_view(Scope.ACKNOWLEDGE)
def inquiry_create(request: HttpRequest, portal: Portal) -> HttpResponse:
    kind, subject_id = _named_subject(request)
    try:
        subject = services.inquiry_subject_find(member=portal.member, kind=kind, subject_id=subject_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    candidates = services.inquiry_candidates(asker=portal.member, kind=kind, subject=subject)
    form = InquiryForm(request.POST or None, candidates=[(m.code, f"{m.code} — {m.name}") for m in candidates])
    if request.method == "POST" and form.is_valid():
        with service_errors(form):
            data = form.cleaned_data
            inquiry = services.inquiry_open(
                actor=portal.user, subject_kind=kind, subject_id=subject.pk, to=data["to"],
                question=data["question"], due=data["due"], confidentiality=data["confidentiality"],
            )
            messages.success(request, gettext("Your question was sent to %(members)s.") % {"members": ", ".join(data["to"])})
            return redirect("portal:inquiry-detail", pk=inquiry.pk)
    label, url = subject_label(subject)
    context = {"form": form, "kind": kind, "subject": subject, "subject_label": label, "subject_url": url}
    return render_form_page(request, portal, "alerts/inquiry_form.html", context, section="requests")


def _thread(request: HttpRequest, portal: Portal, pk: Any, *, bound: Form | None = None) -> HttpResponse:
    inquiry = page_or_404(inquiries_with_details(inquiries_visible_to(member=portal.member)),
                          detail=gettext("No such request."), pk=pk)
    addressees = list(inquiry.addressees.all())
    is_asker = inquiry.asker_id == portal.member.pk
    mine = next((row for row in addressees if row.member_id == portal.member.pk), None)
    is_open = inquiry.status != InquiryStatus.CLOSED
    can_write = portal.can(Scope.ACKNOWLEDGE) and is_open
    forms: dict[str, Form] = {
        "answer_form": AnswerForm(), "message_form": MessageForm(), "close_form": InquiryCloseForm(),
    }
    if bound is not None:
        forms[f"{bound.prefix}_form"] = bound
    answers = [
        {"answer": answer, "signed_by": signature_check(member=answer.member, payload=answer_signed_payload(answer),
                                                        signature=answer.signature)}
        for answer in inquiry.answers.all()
    ]
    today = today_utc()
    for row in addressees:
        row.inquiry = inquiry
    label, url = subject_label(inquiry.subject)
    context = {
        "inquiry": inquiry, "addressees": addressees, "answers": answers, "subject_label": label,
        "subject_url": url, "overdue": [row.member.code for row in addressees if row.is_overdue(today)],
        "can_answer": can_write and mine is not None, "can_message": can_write and (is_asker or mine is not None),
        "can_close": can_write and is_asker, "is_asker": is_asker, **forms,
    }
    status = 400 if bound is not None and bound.errors else 200
    return render_page(request, portal, "alerts/inquiry_detail.html", context, section="requests", status=status)


@member_view()
def inquiry_detail(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    return _thread(request, portal, pk)


def _visible(portal: Portal, pk: Any) -> Inquiry:
    return page_or_404(inquiries_visible_to(member=portal.member), detail=gettext("No such request."), pk=pk)


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def inquiry_answer(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    inquiry = _visible(portal, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.inquiry_answer(actor=portal.user, inquiry=inquiry, text=form.cleaned_data["text"])
            messages.success(request, gettext("Your answer was signed and sent."))
            return redirect(reverse("portal:inquiry-detail", args=[inquiry.pk]) + "#answers")
    return _thread(request, portal, pk, bound=form)


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def inquiry_message(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    inquiry = _visible(portal, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.inquiry_message_post(actor=portal.user, inquiry=inquiry, text=form.cleaned_data["text"])
            messages.success(request, gettext("Your follow-up was sent."))
            return redirect(reverse("portal:inquiry-detail", args=[inquiry.pk]) + "#messages")
    return _thread(request, portal, pk, bound=form)


@require_POST
@member_view(Scope.ACKNOWLEDGE)
def inquiry_close(request: HttpRequest, portal: Portal, pk: Any) -> HttpResponse:
    inquiry = _visible(portal, pk)
    form = InquiryCloseForm(request.POST)
    if form.is_valid():
        with service_errors(form):
            services.inquiry_close(actor=portal.user, inquiry=inquiry, note=form.cleaned_data["note"])
            messages.success(request, gettext("The request is closed."))
            return redirect("portal:inquiry-detail", pk=inquiry.pk)
    return _thread(request, portal, pk, bound=form)


@member_view()
def inquiry_list(request: HttpRequest, portal: Portal) -> HttpResponse:
    """Asked of us and asked by us, overdue first, then by due date."""
    today = today_utc()

    def rows(queryset: Any) -> list[dict[str, Any]]:
        found = list(inquiries_overdue_first(inquiries_with_details(queryset), today=today)[:LIST_LIMIT])
        listed = []
        for inquiry in found:
            addressees = list(inquiry.addressees.all())
            for row in addressees:
                row.inquiry = inquiry
            listed.append({
                "inquiry": inquiry, "subject_label": subject_label(inquiry.subject)[0],
                "to": [row.member.code for row in addressees],
                "overdue": [row.member.code for row in addressees if row.is_overdue(today)],
                "mine_waiting": any(row.member_id == portal.member.pk and row.answered_at is None
                                    for row in addressees) and inquiry.status != InquiryStatus.CLOSED,
            })
        return listed

    context = {
        "received": rows(inquiries_received_by(member=portal.member)),
        "asked": rows(inquiries_asked_by(member=portal.member)),
        "statuses": InquiryStatus.choices,
    }
    return render_page(request, portal, "alerts/inquiry_list.html", context, section="requests")
