"""Information requests between regulators (SPEC §10.3): open, answer (signed), follow up, close,
and remind overdue addressees. Every write is one audited transaction with its event.

Lock order (docs/architecture.md): the chain lock first (`audited_write`), then the request's own
row (`select_for_update(of=("self",))`), so answers and a close of one request are serialised.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.inquiry_payloads import answer_signed_payload, inquiry_payload
from alerts.inquiry_selectors import (
    inquiries_visible_to,
    inquiries_with_details,
    overdue_addressees,
    signals_whole_to,
)
from alerts.models import (
    Alert,
    Confidentiality,
    Inquiry,
    InquiryAddressee,
    InquiryAnswer,
    InquiryMessage,
    InquiryStatus,
    Report,
    Signal,
    SubjectKind,
    Tool,
)
from alerts.models.inquiries import today_utc
from alerts.selectors import (
    alert_audience,
    alerts_visible_to,
    report_audience,
    reports_visible_to,
    signals_visible_to,
)
from alerts.services.facets import alert_facets
from alerts.services.reports import report_facets
from alerts.services.signals import signal_audience_codes
from exchange.choices import AudienceKind, MemberStatus, PreferenceItem
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Member, User
from exchange.notices import Notice, later
from exchange.selectors import admins_active, one_or_404
from exchange.services.audit import audit_record
from exchange.services.chain import audited_batches, audited_write, within_batch_time
from exchange.services.events import event_record
from exchange.services.mail import reminder_email_write
from exchange.services.provenance import sign

TEXT_MAX = 20000  # question, answers, messages and the closing note
ADDRESSEES_MAX = 50
DEFAULT_DUE_DAYS = 14
Subject = Alert | Report | Signal | Tool


# --- subjects ---------------------------------------------------------------------------------------


def _subjects_seen_by(
    member: Member, kind: str, *, asking: bool = False
) -> QuerySet[Subject]:
    """The subjects of `kind` the member may see (the asker: as the subject's own API shows them)."""
    if kind == SubjectKind.ALERT:
        return alerts_visible_to(member=member)
    if kind == SubjectKind.REPORT:
        return reports_visible_to(member=member)
    if kind == SubjectKind.SIGNAL:
        return signals_visible_to(member=member) if asking else signals_whole_to(member=member)
    return Tool.objects.all() if member.is_active else Tool.objects.none()


def inquiry_subject_find(*, member: Member, kind: str, subject_id: uuid.UUID | str) -> Subject:
    """The subject the asker names, or 404 (never a 400 that would confirm an invisible one exists)."""
    if kind not in SubjectKind.values:
        raise ValidationFailed(
            f"subject: name one of {', '.join(SubjectKind.values)}.", errors={"subject": ["unknown kind"]}
        )
    label = SubjectKind(kind).label.lower()
    subject: Subject = one_or_404(
        _subjects_seen_by(member, kind, asking=True),
        detail=f"No such {label} (or not visible to your member).", pk=subject_id,
    )
    return subject


def _seen_by(member: Member, kind: str, subject: Subject) -> bool:
    return bool(_subjects_seen_by(member, kind).filter(pk=subject.pk).exists())


def inquiry_candidates(*, asker: Member, kind: str, subject: Subject) -> list[Member]:
    """The members the asker may ask about the subject: active, not itself, able to see it."""
    others = Member.objects.filter(status=MemberStatus.ACTIVE).exclude(pk=asker.pk).order_by("code")
    return [member for member in others if _seen_by(member, kind, subject)]


def inquiry_audience(inquiry: Inquiry) -> tuple[str, list[str]]:
    """Who the request's events are for: the asker and the addressees, or the subject's audience
    computed by the subject's own visibility code (a public alert's: the network, not the public)."""
    parties = sorted({inquiry.asker.code, *(row.member.code for row in inquiry.addressees.all())})
    if inquiry.confidentiality == Confidentiality.ADDRESSEES:
        return AudienceKind.MEMBERS, parties
    subject = inquiry.subject
    kind: str = AudienceKind.NETWORK
    codes: list[str] = []
    if isinstance(subject, Alert):
        kind, codes = alert_audience(subject)
    elif isinstance(subject, Report):
        kind, codes = report_audience(subject)
    elif isinstance(subject, Signal):
        kind, codes = AudienceKind.MEMBERS, signal_audience_codes(subject)
    if kind == AudienceKind.PUBLIC:
        kind = AudienceKind.NETWORK
    return kind, sorted(codes)


def _tool_facets(tool: Tool) -> JSONObject:
    return {
        "alert_type": None, "severity": None, "tools": [str(tool.pk)], "manufacturers": [tool.manufacturer.lower()],
        "clinical_areas": [tool.clinical_area], "jurisdictions": [], "authorised_in": [], "publisher": "",
    }


def _facets(inquiry: Inquiry) -> JSONObject:
    subject = inquiry.subject
    if isinstance(subject, Alert):
        return alert_facets(subject)
    if isinstance(subject, Report):
        return report_facets(subject)
    return _tool_facets(subject.tool if isinstance(subject, Signal) else subject)


def inquiry_fresh(inquiry: Inquiry) -> Inquiry:
    return inquiries_with_details(Inquiry.objects.filter(pk=inquiry.pk)).get()


def _event(event_type: str, inquiry: Inquiry) -> None:
    inquiry = inquiry_fresh(inquiry)
    kind, codes = inquiry_audience(inquiry)
    event_record(
        type=event_type, audience_kind=kind, audience_codes=codes, object_type="request", object_id=inquiry.pk,
        publisher_code=inquiry.asker.code, facets=_facets(inquiry), payload=inquiry_payload(inquiry),
    )


# --- input rules ------------------------------------------------------------------------------------


def _text(field: str, value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"{field}: must not be blank.", errors={field: ["must not be blank"]})
    if len(text) > TEXT_MAX:
        raise ValidationFailed(f"{field}: at most {TEXT_MAX} characters.", errors={field: [f"at most {TEXT_MAX} characters"]})
    if "\x00" in text:
        raise ValidationFailed(f"{field}: must not contain a NUL character.", errors={field: ["must not contain a NUL character"]})
    return text


def _due(due: date | None) -> date:
    today = today_utc()
    if due is None:
        return today + timedelta(days=DEFAULT_DUE_DAYS)
    if due < today:
        raise ValidationFailed(
            f"due: {due.isoformat()} is in the past; choose today or a later date.",
            errors={"due": ["must be today or later"]},
        )
    return due


def _addressees(asker: Member, codes: list[str], kind: str, subject: Subject) -> list[Member]:
    wanted = sorted({str(code).strip().upper() for code in codes if str(code).strip()})
    if not wanted:
        raise ValidationFailed("to: name at least one member.", errors={"to": ["name at least one member"]})
    if len(wanted) > ADDRESSEES_MAX:
        raise ValidationFailed(f"to: at most {ADDRESSEES_MAX} members.", errors={"to": [f"at most {ADDRESSEES_MAX} members"]})
    if asker.code in wanted:
        raise ValidationFailed("to: a member does not ask itself.", errors={"to": [f"{asker.code} is the asker"]})
    members = {m.code: m for m in Member.objects.filter(code__in=wanted)}
    unknown = [code for code in wanted if code not in members]
    if unknown:
        raise ValidationFailed(f"to: unknown member(s) {', '.join(unknown)}.", errors={"to": [f"unknown member {c}" for c in unknown]})
    blind = [code for code, m in members.items() if m.status != MemberStatus.ACTIVE or not _seen_by(m, kind, subject)]
    if blind:
        raise ValidationFailed(
            f"to: {', '.join(sorted(blind))} cannot see the subject of this request.",
            errors={"to": [f"{code} cannot see the subject" for code in sorted(blind)]},
        )
    return [members[code] for code in wanted]


def _member_of(actor: User) -> Member:
    if actor.member is None:
        raise PermissionRefused("Requests are asked and answered by member users.")
    return actor.member


def _locked(inquiry: Inquiry, member: Member) -> Inquiry:
    """The request's row, locked (after the chain lock), re-checked as visible to the member."""
    locked = Inquiry.objects.select_for_update(of=("self",)).get(pk=inquiry.pk)
    one_or_404(inquiries_visible_to(member=member), detail="No such request.", pk=inquiry.pk)
    if locked.status == InquiryStatus.CLOSED:
        raise Conflict("The request is closed.", errors={"status": ["closed"]})
    return locked


def _state(inquiry: Inquiry) -> JSONObject:
    return {"status": inquiry.status, "due": inquiry.due, "closed_at": inquiry.closed_at}


# --- writes -----------------------------------------------------------------------------------------


@audited_write
def inquiry_open(
    *, actor: User, subject_kind: str, subject_id: uuid.UUID | str, to: list[str], question: str,
    due: date | None = None, confidentiality: str = Confidentiality.ADDRESSEES,
) -> Inquiry:
    member = _member_of(actor)
    subject = inquiry_subject_find(member=member, kind=subject_kind, subject_id=subject_id)
    question = _text("question", question)
    due = _due(due)
    if confidentiality not in Confidentiality.values:
        raise ValidationFailed(
            f"confidentiality: one of {', '.join(Confidentiality.values)}.",
            errors={"confidentiality": ["must be addressees or audience"]},
        )
    addressees = _addressees(member, to, subject_kind, subject)
    now = timezone.now()
    inquiry = Inquiry.objects.create(
        asker=member, asked_by=actor, subject_kind=subject_kind, question=question, due=due,
        confidentiality=confidentiality, created_at=now, updated_at=now, **{subject_kind: subject},
    )
    InquiryAddressee.objects.bulk_create([InquiryAddressee(inquiry=inquiry, member=m) for m in addressees])
    audit_record(actor=actor, action="request.opened", object_type="request", object_id=inquiry.pk, after={
        **_state(inquiry), "subject": {"kind": subject_kind, "id": str(subject.pk)},
        "to": [m.code for m in addressees], "confidentiality": confidentiality, "question": question,
    })
    _event("request.opened", inquiry)
    return inquiry


@audited_write
def inquiry_answer(*, actor: User, inquiry: Inquiry, text: str) -> InquiryAnswer:
    """An addressee answers (any number of times); the answer is signed by the answering member."""
    member = _member_of(actor)
    locked = _locked(inquiry, member)
    addressee = InquiryAddressee.objects.filter(inquiry=locked, member=member).first()
    if addressee is None:
        raise PermissionRefused(f"Only the request's addressees answer; {member.code} is not one of them.")
    text = _text("text", text)
    now = timezone.now()
    answer = InquiryAnswer(inquiry=locked, member=member, by=actor, text=text, at=now)
    answer.signature = dict(sign(member=member, payload=answer_signed_payload(answer)))
    answer.save()
    if addressee.answered_at is None:
        InquiryAddressee.objects.filter(pk=addressee.pk).update(answered_at=now)
    before = _state(locked)
    fields = ["updated_at"]
    if locked.status == InquiryStatus.OPEN and not locked.addressees.filter(answered_at__isnull=True).exists():
        locked.status = InquiryStatus.ANSWERED
        fields.append("status")
    locked.updated_at = now
    locked.save(update_fields=fields)
    audit_record(actor=actor, action="request.answered", object_type="request", object_id=locked.pk, before=before,
                 after={**_state(locked), "answer": str(answer.pk), "member": member.code, "text": text,
                        "signature": answer.signature})
    _event("request.answered", locked)
    return answer


@audited_write
def inquiry_message_post(*, actor: User, inquiry: Inquiry, text: str) -> InquiryMessage:
    """A follow-up of the asker or an addressee."""
    member = _member_of(actor)
    locked = _locked(inquiry, member)
    if locked.asker_id != member.pk and not locked.addressees.filter(member=member).exists():
        raise PermissionRefused("Only the asker and the addressees write follow-ups.")
    message = InquiryMessage.objects.create(inquiry=locked, member=member, by=actor, text=_text("text", text))
    Inquiry.objects.filter(pk=locked.pk).update(updated_at=message.at)
    audit_record(actor=actor, action="request.message_posted", object_type="request", object_id=locked.pk,
                 after={"member": member.code, "text": message.text})
    return message


@audited_write
def inquiry_close(*, actor: User, inquiry: Inquiry, note: str) -> Inquiry:
    member = _member_of(actor)
    locked = _locked(inquiry, member)
    if locked.asker_id != member.pk:
        raise PermissionRefused("Only the asking member closes its request.")
    note = _text("note", note)
    before = _state(locked)
    now = timezone.now()
    locked.status, locked.closed_at, locked.close_note, locked.updated_at = InquiryStatus.CLOSED, now, note, now
    locked.save(update_fields=["status", "closed_at", "close_note", "updated_at"])
    audit_record(actor=actor, action="request.closed", object_type="request", object_id=locked.pk, before=before,
                 after={**_state(locked), "note": note})
    _event("request.closed", locked)
    return locked


# --- overdue ----------------------------------------------------------------------------------------


def _overdue_reminder(row: InquiryAddressee, admins: list[User]) -> None:
    """The reminder to an overdue addressee's admins, on the one e-mail path (a delivery row per person)."""
    inquiry = Inquiry.objects.select_related("asker").get(pk=row.inquiry_id)
    asker, addressee, due = inquiry.asker.code, row.member.code, inquiry.due.isoformat()
    notice = Notice(
        item=PreferenceItem.REQUEST, what=_("Answer to a request overdue"),
        title=later(lambda: gettext("Question from %(asker)s, due %(due)s") % {"asker": asker, "due": due}),
        path=f"/requests/{inquiry.pk}/", urgency=1,
        lines=((_("Question"), inquiry.question[:500]), (_("What to do"), _("Read the question and answer it."))),
    )
    reminder_email_write(
        users=admins, key=f"request:{inquiry.pk}:{row.member_id}", notice=notice,
        subject=later(lambda: gettext("Overdue: %(asker)s's question to %(addressee)s, due %(due)s") % {
            "asker": asker, "addressee": addressee, "due": due}),
        reason=later(lambda: gettext(
            "You receive this reminder as an admin of %(addressee)s: %(asker)s asked it a question in the exchange "
            "that is past its due date.") % {"addressee": addressee, "asker": asker}),
    )


def inquiries_overdue_sweep(*, today: date | None = None, batch: int = 200) -> int:
    """Remind the admins of each overdue addressee, once per addressee; returns how many were reminded.

    Runs from the acknowledgements' overdue sweep (the same beat task), in audited batches that each
    hold the chain lock about BATCH_SECONDS. An addressee that can no longer see the request (its
    subject was taken from its view) is marked but not told."""
    today = today or today_utc()

    def fetch(size: int) -> list[InquiryAddressee]:
        return list(
            overdue_addressees(today=today).filter(reminded_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("member", "inquiry").order_by("inquiry__due", "id")[:size]
        )

    def remind(due: list[InquiryAddressee], until: float) -> int:
        now = timezone.now()
        admins: dict[int, list[User]] = defaultdict(list)
        for user in admins_active(member_ids={row.member_id for row in due}):
            admins[user.member_id or 0].append(user)
        marked = []
        for row in within_batch_time(due, until):
            marked.append(row.pk)
            if not inquiries_visible_to(member=row.member).filter(pk=row.inquiry_id).exists():
                continue
            audit_record(actor=None, action="request.overdue_reminded", object_type="request",
                         object_id=row.inquiry_id, after={"member": row.member.code, "due": row.inquiry.due})
            _overdue_reminder(row, admins.get(row.member_id, []))
        InquiryAddressee.objects.filter(pk__in=marked).update(reminded_at=now)
        return len(marked)

    return audited_batches(fetch, remind, most=batch)
