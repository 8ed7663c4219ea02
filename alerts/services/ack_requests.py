"""Acknowledgement requests: whom an alert's publication (or material amendment) asks, by when,
written in the publication's transaction; a renewed request resets the earlier answer, audited."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from alerts.models import Acknowledgement, Alert
from alerts.services.facets import AlertScope, alert_scope
from exchange.models import Event, User
from exchange.services.audit import audit_record
from exchange.services.matching import members_matching


def deadline_for(severity: str, start: datetime) -> datetime | None:
    hours = settings.ACK_DEADLINE_HOURS.get(severity)
    return start + timedelta(hours=hours) if hours else None


def _requested_member_ids(alert: Alert, event: Event | None = None, scope: AlertScope | None = None) -> set[int]:
    """Audience members with a matching subscription, or in an affected jurisdiction (SPEC §2)."""
    scope = scope or alert_scope(alert)
    # A jurisdiction whose authorisations cover none of the affected versions is told, not asked.
    jurisdictions = set(scope.jurisdictions) - set(scope.authorised_uncovered)
    audience = {pk: country for pk, country in scope.audience.items() if pk != alert.publisher_id}
    wanted = {pk for pk, country in audience.items() if country in jurisdictions}
    if len(wanted) == len(audience):
        return wanted  # every audience member is asked already: no need to ask who subscribed
    event = event or (
        Event.objects.filter(object_type="alert", object_id=str(alert.pk), type__in=["alert.published", "alert.amended"])
        .order_by("-sequence")
        .first()
    )
    if event is not None:
        wanted |= members_matching(event) & audience.keys()
    return wanted


# A renewed request (a material amendment) resets the answer to the previous revision: every field
# a request writes is overwritten, in the one `INSERT … ON CONFLICT DO UPDATE` both databases run.
_REQUEST_RESETS = [
    "revision", "state", "requested", "requested_at", "deadline", "overdue_notified_at", "decision", "rationale",
    "acknowledged_at", "completed_at", "updated_at",
]


def _audit_resets(*, alert: Alert, actor: User, member_ids: set[int], revision: int) -> None:
    """A material amendment asks again: record each answer it clears (its history entries stay)."""
    answered = (
        Acknowledgement.objects.filter(alert=alert, member_id__in=member_ids)
        .filter(Q(state__isnull=False) | Q(decision__isnull=False) | ~Q(rationale=""))
        .select_related("member").order_by("member__code")
    )
    for ack in answered:
        audit_record(
            actor=actor, action="acknowledgement.reset", object_type="acknowledgement", object_id=ack.pk,
            before={"state": ack.state, "decision": ack.decision, "rationale": ack.rationale,
                    "revision": ack.revision},
            after={"state": None, "decision": None, "rationale": "", "revision": revision,
                   "alert": str(alert.pk), "member": ack.member.code},
        )


def acknowledgements_request(
    *, alert: Alert, actor: User, revision: int, event: Event | None = None, scope: AlertScope | None = None,
) -> None:
    """Create (or renew, for a material amendment) the requested acknowledgements, in the caller's transaction
    (`event`: the alert.published or alert.amended event the caller just recorded; read if not given;
    `scope`: the alert's rows as the caller read them for that event; read if not given)."""
    now = timezone.now()
    deadline = deadline_for(alert.severity, now)
    wanted = _requested_member_ids(alert, event, scope)
    if revision > 1:  # a material amendment asks again everyone asked before
        wanted |= set(
            Acknowledgement.objects.filter(alert=alert, requested=True).values_list("member_id", flat=True)
        )
    if not wanted:
        return
    if revision > 1:
        _audit_resets(alert=alert, actor=actor, member_ids=wanted, revision=revision)
    Acknowledgement.objects.bulk_create(
        [
            Acknowledgement(alert=alert, member_id=member_id, revision=revision, state=None, requested=True,
                            requested_at=now, deadline=deadline, overdue_notified_at=None, decision=None,
                            rationale="", acknowledged_at=None, completed_at=None, created_at=now, updated_at=now)
            for member_id in sorted(wanted)
        ],
        update_conflicts=True, unique_fields=["alert", "member"], update_fields=_REQUEST_RESETS, batch_size=1000,
    )
