"""Reads of information requests (SPEC §10.3). Every read path of requests starts here.

A member sees a request when it can see the request's subject (by the subjects' own visibility
rules, evaluated now: a subject taken from its view takes its requests with it) and either the
request is open to the subject's audience or the member is the asker or an addressee.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Exists, Model, OuterRef, Prefetch, Q, QuerySet

from alerts.models import (
    Confidentiality,
    Inquiry,
    InquiryAddressee,
    InquiryAnswer,
    InquiryMessage,
    InquiryStatus,
    Signal,
    SubjectKind,
)
from alerts.models.inquiries import overdue_addressee_q
from alerts.selectors import alerts_visible_to, reports_visible_to
from exchange.models import Member


def signals_whole_to(*, member: Member) -> QuerySet[Signal]:
    """Signals every report behind which the member may see (the audience of `signal.detected`)."""
    hidden = Signal.reports.through.objects.filter(signal=OuterRef("pk")).exclude(
        report__in=reports_visible_to(member=member)
    )
    return Signal.objects.filter(prepared=False).exclude(Exists(hidden))


def subject_visible_q(member: Member, kinds: Collection[str] = tuple(SubjectKind.values)) -> Q:
    """Requests whose subject the member may see now (of the given kinds of subject: all unless told).

    Each subject is looked up from the request (a correlated EXISTS, one index probe per request):
    `alert__in=<visible alerts>` under an OR made PostgreSQL hash every alert and report the member
    may see before reading a single request (0.4 s at 100,000 reports, bench/volume.py).
    """
    rules: dict[str, Callable[[], Q]] = {
        SubjectKind.ALERT: lambda: Q(Q(subject_kind=SubjectKind.ALERT),
                                     Exists(alerts_visible_to(member=member).filter(pk=OuterRef("alert_id")))),
        SubjectKind.REPORT: lambda: Q(Q(subject_kind=SubjectKind.REPORT),
                                      Exists(reports_visible_to(member=member).filter(pk=OuterRef("report_id")))),
        SubjectKind.SIGNAL: lambda: Q(Q(subject_kind=SubjectKind.SIGNAL),
                                      Exists(signals_whole_to(member=member).filter(pk=OuterRef("signal_id")))),
        SubjectKind.TOOL: lambda: Q(subject_kind=SubjectKind.TOOL),  # the registry is every active member's
    }
    return reduce(or_, (rules[kind]() for kind in kinds))


def party_q(member: Member) -> Q:
    """The member asked the request or is one of its addressees."""
    addressed = Exists(InquiryAddressee.objects.filter(inquiry=OuterRef("pk"), member=member))
    return Q(asker=member) | Q(addressed)


def inquiries_visible_to(*, member: Member | None, kinds: Collection[str] = tuple(SubjectKind.values)) -> QuerySet[Inquiry]:
    if member is None or not member.is_active:
        return Inquiry.objects.none()
    return Inquiry.objects.filter(subject_visible_q(member, kinds)).filter(
        Q(confidentiality=Confidentiality.AUDIENCE) | party_q(member)
    )


def inquiries_about(*, member: Member | None, kind: str, subject: Model) -> QuerySet[Inquiry]:
    """The requests about one subject that the member may see. Only that kind's rule is asked (the database
    keeps one subject per request, of its kind): the SQL of all four, built and compiled on every page
    that shows the questions (alerts, reports, signals, tools), was most of its cost."""
    return inquiries_visible_to(member=member, kinds=(kind,)).filter(subject_kind=kind, **{kind: subject})


def inquiries_with_details(queryset: QuerySet[Inquiry]) -> QuerySet[Inquiry]:
    return queryset.select_related(
        "asker", "alert", "report__tool", "signal__tool", "tool"
    ).prefetch_related(
        Prefetch("addressees", queryset=InquiryAddressee.objects.select_related("member").order_by("member__code")),
        Prefetch("answers", queryset=InquiryAnswer.objects.select_related("member").order_by("at", "id")),
        Prefetch("messages", queryset=InquiryMessage.objects.select_related("member").order_by("at", "id")),
    )


def inquiries_asked_by(*, member: Member) -> QuerySet[Inquiry]:
    return inquiries_visible_to(member=member).filter(asker=member)


def inquiries_received_by(*, member: Member) -> QuerySet[Inquiry]:
    return inquiries_visible_to(member=member).filter(
        Exists(InquiryAddressee.objects.filter(inquiry=OuterRef("pk"), member=member))
    )


def inquiries_awaiting(*, member: Member) -> QuerySet[Inquiry]:
    """Requests that await the member's answer (the inbox): addressed to it, not closed, not answered by it.

    Only the subject rules of the kinds those requests are about are built (one small query first): the
    four rules' SQL, built and compiled for the navigation's count on every portal page, cost ~10 ms at
    scale 1.0 of bench/volume.py for a member awaiting no request at all."""
    kinds = set(
        InquiryAddressee.objects.filter(member=member, answered_at__isnull=True)
        .exclude(inquiry__status=InquiryStatus.CLOSED).order_by().values_list("inquiry__subject_kind", flat=True)
        .distinct()
    )
    if not kinds:
        return Inquiry.objects.none()
    waiting = InquiryAddressee.objects.filter(inquiry=OuterRef("pk"), member=member, answered_at__isnull=True)
    late = InquiryAddressee.objects.filter(overdue_addressee_q(), inquiry=OuterRef("pk"), member=member)
    return (
        inquiries_visible_to(member=member, kinds=kinds)
        .filter(Exists(waiting))
        .exclude(status=InquiryStatus.CLOSED)
        .annotate(we_are_overdue=Exists(late))  # the one overdue rule, for this member's own answer
        .order_by("due", "created_at", "id")
    )


def overdue_addressees(*, today: date | None = None) -> QuerySet[InquiryAddressee]:
    """Every overdue addressee of the network (the reminder sweep), by the one rule."""
    return InquiryAddressee.objects.filter(overdue_addressee_q(today))


def inquiries_overdue_first(queryset: QuerySet[Inquiry], *, today: date | None = None) -> QuerySet[Inquiry]:
    """The portal's lists: requests with an overdue addressee first, then by due date."""
    late = InquiryAddressee.objects.filter(overdue_addressee_q(today), inquiry=OuterRef("pk"))
    return queryset.annotate(has_overdue=Exists(late)).order_by("-has_overdue", "due", "-created_at", "id")
