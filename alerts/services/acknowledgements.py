"""Acknowledgements: answered forward-only, deadlines extended, overdue reminders (requested at
publication: alerts.services.ack_requests)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.choices import ACK_COMPLETE, ACK_STATE_RANK, AckState, AlertStatus, RelianceDecision
from alerts.models import Acknowledgement, AcknowledgementEntry, Alert
from alerts.notices import alert_notice, not_acknowledged
from alerts.selectors import alert_audience_members
from alerts.services.facets import alert_facets
from exchange.choices import AudienceKind
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Event, Member, User
from exchange.notices import later
from exchange.selectors import admins_active
from exchange.services.audit import audit_record
from exchange.services.chain import audited_batches, audited_write, within_batch_time
from exchange.services.events import event_record
from exchange.services.mail import reminder_email_write

RATIONALE_REQUIRED = frozenset({RelianceDecision.ADAPT, RelianceDecision.DECLINE})


def ack_previous(ack: Acknowledgement) -> JSONObject | None:
    """The member's last answer to an earlier revision (what a material amendment asked again), or None.

    Reads the prefetched history: its last entry about a revision before the current one."""
    if ack._state.adding:
        return None
    earlier = [e for e in ack.history.all() if e.revision < ack.revision]
    if not earlier:
        return None
    last = earlier[-1]
    return {"revision": last.revision, "state": last.state, "decision": last.decision,
            "rationale": last.rationale, "comment": last.comment, "at": last.at}


def ack_render(ack: Acknowledgement, *, alert_id: uuid.UUID | None = None) -> JSONObject:
    """The acknowledgement as the REST API shows it (SPEC Appendix A)."""
    history = ack.history.all() if not ack._state.adding else []
    subject = {"report": str(ack.report_id)} if ack.report_id else {"alert": str(alert_id or ack.alert_id)}
    return {
        **subject,
        "member": ack.member.code,
        "revision": ack.revision,
        "state": ack.state,
        "requested": ack.requested,
        "requested_at": ack.requested_at,
        "deadline": ack.deadline,
        "overdue": ack.is_overdue(),
        "decision": ack.decision,
        "rationale": ack.rationale,
        "updated_at": ack.updated_at,
        "previous": ack_previous(ack),
        "history": [
            {"state": e.state, "at": e.at, "by": e.by_email, "comment": e.comment, "revision": e.revision,
             "decision": e.decision, "rationale": e.rationale}
            for e in history
        ],
    }


def acknowledgement_of(*, alert: Alert, member: Member) -> Acknowledgement:
    """The member's acknowledgement of a visible alert; an unsaved blank one if it has not answered."""
    ack = (
        Acknowledgement.objects.select_related("member").prefetch_related("history")
        .filter(alert=alert, member=member).first()
    )
    if ack is not None:
        ack.alert = alert  # known already: "overdue" reads its status without another query
    return ack or Acknowledgement(alert=alert, member=member, revision=alert.revision)


def acknowledgements_of_alert(*, alert: Alert) -> list[Acknowledgement]:
    """One entry per audience member (publisher excepted), answered or not."""
    existing = {
        ack.member_id: ack
        for ack in Acknowledgement.objects.filter(alert=alert).select_related("member").prefetch_related("history")
    }
    for ack in existing.values():
        ack.alert = alert  # known already: "overdue" reads its status without another query
    members = alert_audience_members(alert).exclude(pk=alert.publisher_id).order_by("code")
    return [existing.get(m.pk) or _not_yet_answered(alert, m) for m in members]


def _not_yet_answered(alert: Alert, member: Member) -> Acknowledgement:
    """A member's blank answer, its history known empty (else a query each: 51 for 60 members)."""
    blank = Acknowledgement(alert=alert, member=member, revision=alert.revision)
    blank._prefetched_objects_cache = {"history": AcknowledgementEntry.objects.none()}  # type: ignore[attr-defined]
    return blank


def acknowledgements_summary(acks: list[Acknowledgement]) -> dict[str, int]:
    now = timezone.now()
    return {
        "audience": len(acks),
        "requested": sum(1 for a in acks if a.requested),
        "acknowledged": sum(1 for a in acks if a.state is not None),
        "acted": sum(1 for a in acks if a.state == AckState.ACTION_TAKEN),
        "not_applicable": sum(1 for a in acks if a.state == AckState.NOT_APPLICABLE),
        "overdue": sum(1 for a in acks if a.is_overdue(now)),
    }


def _audience_member(alert: Alert, member: Member) -> None:
    if member.pk == alert.publisher_id:
        raise Conflict("The publishing member does not acknowledge its own alert.")
    if not alert_audience_members(alert).filter(pk=member.pk).exists():
        raise PermissionRefused(f"{member.code} is not in the audience of this alert.")


@audited_write
def acknowledgement_set(
    *,
    actor: User,
    alert: Alert,
    state: str,
    comment: str = "",
    decision: str | None = None,
    rationale: str | None = None,
) -> Acknowledgement:
    member = actor.member
    if member is None:
        raise PermissionRefused("Acknowledgements are given by member users.")
    alert = Alert.objects.select_related("publisher").get(pk=alert.pk)
    if alert.status == AlertStatus.WITHDRAWN:
        raise Conflict(f"Alert {alert.reference} was withdrawn (issued in error); it cannot be acknowledged.")
    if alert.status == AlertStatus.DRAFT:
        raise Conflict("A draft cannot be acknowledged.")
    _audience_member(alert, member)
    ack, changed = answer_apply(
        subject={"alert": alert}, revision=alert.revision, actor=actor, member=member, state=state,
        comment=comment, decision=decision, rationale=rationale,
    )
    if changed:
        _ack_event("acknowledgement.updated", alert, ack, extra_codes=())
    return ack


def answer_check(*, state: str, comment: str, decision: str | None, rationale: str) -> None:
    """What an answer must say, every problem at once: `action_taken` a comment, `adapt` and
    `decline` a rationale, a rationale a decision."""
    errors: dict[str, list[str]] = {}
    if state == AckState.ACTION_TAKEN and not comment:
        errors["comment"] = ["required for action_taken: say what was done"]
    if decision in RATIONALE_REQUIRED and not rationale:
        errors["rationale"] = [f"required for the decision {decision}: say why"]
    if rationale and not decision:
        # A rationale explains a reliance decision; alone it reads as "— —" to the publisher.
        errors["decision"] = ["required with a rationale"]
    if errors:
        detail = "; ".join(f"{field}: {messages[0]}" for field, messages in errors.items())
        raise ValidationFailed(detail + ".", errors=errors)


def answer_apply(
    *,
    subject: JSONObject,
    revision: int,
    actor: User,
    member: Member,
    state: str,
    comment: str,
    decision: str | None,
    rationale: str | None,
) -> tuple[Acknowledgement, bool]:
    """Record a member's answer (forward-only, one history entry per change). Returns (ack, changed)."""
    comment = comment.strip()
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(member=member, revision=revision, **subject)], ignore_conflicts=True
    )
    ack = Acknowledgement.objects.select_for_update(of=("self",)).select_related("member").get(member=member, **subject)
    before = {"state": ack.state, "decision": ack.decision, "rationale": ack.rationale, "revision": ack.revision}
    new_decision = ack.decision if decision is None else decision
    new_rationale = ack.rationale if rationale is None else rationale.strip()
    answer_check(state=state, comment=comment, decision=new_decision, rationale=new_rationale)
    if ack.state is not None and ACK_STATE_RANK[state] < ACK_STATE_RANK[ack.state]:
        raise Conflict(
            f"The acknowledgement is already '{ack.state}'; states only move forward "
            "(received → assessing → action_taken → not_applicable).",
            errors={"state": [f"cannot go back from {ack.state} to {state}"]},
        )
    now = timezone.now()
    changed_fields: list[str] = []
    if ack.state != state:
        ack.state = state
        ack.acknowledged_at = ack.acknowledged_at or now
        if state in ACK_COMPLETE:
            ack.completed_at = now
        changed_fields += ["state", "acknowledged_at", "completed_at"]
    if new_decision != ack.decision:
        ack.decision = new_decision
        changed_fields.append("decision")
    if new_rationale != ack.rationale:
        ack.rationale = new_rationale
        changed_fields.append("rationale")
    if not changed_fields:
        return ack, False  # repeating the current answer changes nothing
    AcknowledgementEntry.objects.create(  # the answer after this change, for this revision
        acknowledgement=ack, revision=ack.revision, state=state, at=now, by=actor, by_email=actor.email,
        comment=comment, decision=ack.decision, rationale=ack.rationale,
    )
    ack.updated_at = now
    ack.save(update_fields=[*changed_fields, "updated_at"])
    after = {"state": ack.state, "decision": ack.decision, "rationale": ack.rationale, "revision": ack.revision}
    subject_ref = {key: str(value.pk) for key, value in subject.items()}
    audit_record(actor=actor, action="acknowledgement.updated", object_type="acknowledgement", object_id=ack.pk,
                 before=before, after={**after, **subject_ref, "comment": comment})
    return ack, True


@audited_write
def acknowledgement_carry_forward(*, actor: User, alert: Alert) -> Acknowledgement:
    """Answer the current revision as the member answered the earlier one (one click after a
    material amendment): the same state, decision and rationale, the comment saying so."""
    member = actor.member
    if member is None:
        raise PermissionRefused("Acknowledgements are given by member users.")
    ack = acknowledgement_of(alert=alert, member=member)
    previous = ack_previous(ack)
    if previous is None:
        raise Conflict("There is no earlier answer to carry forward to this revision.",
                       errors={"state": ["no earlier answer to carry forward"]})
    note = f"Carried forward from revision {previous['revision']}."
    comment = f"{note} {previous['comment']}".strip()
    return acknowledgement_set(actor=actor, alert=alert, state=previous["state"], comment=comment,
                               decision=previous["decision"], rationale=previous["rationale"])


def _ack_event(
    event_type: str, alert: Alert, ack: Acknowledgement, *, extra_codes: tuple[str, ...],
    facets: JSONObject | None = None, fresh: bool = True,
) -> Event:
    if fresh:
        ack = Acknowledgement.objects.select_related("member").prefetch_related("history").get(pk=ack.pk)
    payload = ack_render(ack)
    payload["alert_reference"] = alert.reference
    payload["alert_title"] = alert.title
    return event_record(
        type=event_type,
        audience_kind=AudienceKind.MEMBERS,
        audience_codes=[alert.publisher.code, *extra_codes],
        object_type="acknowledgement",
        object_id=ack.pk,
        publisher_code=alert.publisher.code,
        facets=facets if facets is not None else alert_facets(alert),
        payload=payload,
    )


@audited_write
def acknowledgement_extend_deadline(
    *, actor: User, alert: Alert, member_code: str, deadline: datetime
) -> Acknowledgement:
    alert = Alert.objects.select_related("publisher").get(pk=alert.pk)
    if actor.member_id != alert.publisher_id:
        raise PermissionRefused("Only the publishing member may change acknowledgement deadlines.")
    ack = (
        Acknowledgement.objects.select_for_update(of=("self",)).select_related("member")
        .filter(alert=alert, member__code=member_code.strip().upper()).first()
    )
    if ack is None or not ack.requested:
        raise ValidationFailed(
            f"member: no acknowledgement is requested from {member_code} for this alert.",
            errors={"member": ["no requested acknowledgement"]},
        )
    if deadline <= timezone.now():
        raise ValidationFailed("deadline: must be in the future.", errors={"deadline": ["must be in the future"]})
    if ack.deadline is not None and deadline <= ack.deadline:
        raise ValidationFailed(
            f"deadline: an extension must be later than the current deadline ({ack.deadline.isoformat()}).",
            errors={"deadline": ["must be later than the current deadline"]},
        )
    before = {"deadline": ack.deadline}
    ack.deadline = deadline
    ack.overdue_notified_at = None
    ack.updated_at = timezone.now()
    ack.save(update_fields=["deadline", "overdue_notified_at", "updated_at"])
    audit_record(actor=actor, action="acknowledgement.deadline_extended", object_type="acknowledgement",
                 object_id=ack.pk, before=before, after={"deadline": deadline, "member": ack.member.code,
                                                         "alert": str(alert.pk)})
    return ack


def _overdue_reminders(alert: Alert, ack: Acknowledgement, event: Event, admins: list[User]) -> None:
    """The reminder to the late member's admins: an e-mail to each, through the one e-mail path
    (a delivery written in this transaction). Keyed by the overdue event, so that an admin whose
    preferences also send that event at once gets one e-mail."""
    if not admins:
        return
    notice = alert_notice(alert, what=_("Acknowledgement overdue"), item="problem", deadline=ack.deadline)
    member, publisher = ack.member.code, alert.publisher.code
    reminder_email_write(
        users=admins, key=f"event:{event.pk}", notice=notice,
        subject=later(lambda: gettext("Overdue: %(title)s") % {"title": not_acknowledged(member, notice)}),
        reason=later(lambda: gettext(
            "You receive this reminder as an admin of %(member)s: %(publisher)s asked %(member)s to acknowledge this "
            "alert by its deadline. Record the acknowledgement on the alert's page.")
            % {"member": member, "publisher": publisher}),
    )


def acknowledgements_overdue_sweep(*, now: datetime | None = None, batch: int = 200) -> int:
    """Find requested acknowledgements past their deadline and tell both sides, once per request.

    In audited batches (`audited_batches`: chain lock first, then the acknowledgement rows only,
    skipping rows a member is answering right now), each holding the lock about BATCH_SECONDS — a
    request costs an event numbered in its audience's feeds and an e-mail to each of the late member's
    admins — with a constant number of queries per batch apart from the events themselves.
    """
    now = now or timezone.now()

    def fetch(size: int) -> list[Acknowledgement]:
        return list(
            Acknowledgement.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("member", "alert__publisher")
            .prefetch_related("history")
            .overdue(now)
            .filter(overdue_notified_at__isnull=True, alert__isnull=False)
            .order_by("deadline")[:size]
        )

    return audited_batches(fetch, lambda due, until: _overdue_tell(due, now, until), most=batch)


def _overdue_tell(due: list[Acknowledgement], now: datetime, until: float) -> int:
    """Tell both sides of each overdue request in turn until the batch's time is up; mark those told."""
    admins: dict[int, list[User]] = defaultdict(list)
    for user in admins_active(member_ids={ack.member_id for ack in due}).select_related("member"):
        admins[user.member_id or 0].append(user)
    facets: dict[uuid.UUID | None, JSONObject] = {}
    told: list[uuid.UUID] = []
    for ack in within_batch_time(due, until):
        ack.overdue_notified_at = now
        alert = ack.alert
        assert alert is not None
        if alert.pk not in facets:
            facets[alert.pk] = alert_facets(alert)
        event = _ack_event("acknowledgement.overdue", alert, ack, extra_codes=(ack.member.code,),
                           facets=facets[alert.pk], fresh=False)
        _overdue_reminders(alert, ack, event, admins.get(ack.member_id, []))
        told.append(ack.pk)
    Acknowledgement.objects.filter(pk__in=told).update(overdue_notified_at=now)
    return len(told)

