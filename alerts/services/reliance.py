"""Reliance routes (SPEC §10.1): checking a reliance authorisation, opening reviews when the reference
member acts, deciding them, reminding when they are overdue, and telling a publisher who relies on it.

Reviews are opened in the transaction of their trigger (an alert published or materially amended, a
change of the reference authorisation) and a unique constraint makes a second review of the same
trigger impossible, also when two triggers race. The service never changes another regulator's
decision by itself: a lapsed reference shows as `reference_lapsed` until the relying member decides.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alerts.choices import (
    AuthorizationRoute,
    AuthorizationStatus,
    AuthorizationValidity,
    ReviewOutcome,
    ReviewStatus,
    ReviewTrigger,
)
from alerts.models import Alert, AlertTool, Authorization, RelianceReview
from alerts.payloads import authorization_payload, review_payload
from alerts.selectors import alert_audience_members, authorizations_with_reliance, tools_authorised_in
from alerts.services.facets import AlertScope, alert_scope
from alerts.services.versions import authorization_versions_check
from exchange.choices import AudienceKind, PreferenceItem, Role
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import Event, Member, User
from exchange.notices import Notice, later
from exchange.selectors import admins_active
from exchange.services.audit import audit_record
from exchange.services.chain import audited_batches, audited_write, within_batch_time
from exchange.services.events import event_record
from exchange.services.mail import reminder_email_write

LAPSED = (AuthorizationStatus.SUSPENDED, AuthorizationStatus.WITHDRAWN)
# The fields of a reference authorisation whose change opens reviews (§10.1): `versions` is the
# version specifier of §10.2 where the registry has it.
REVIEWED_FIELDS = ("status", "versions")
OUTCOME_STATUS: dict[str, str] = {ReviewOutcome.SUSPEND: AuthorizationStatus.SUSPENDED, ReviewOutcome.REVOKE: AuthorizationStatus.WITHDRAWN}


def authorization_member(authorization: Authorization) -> Member | None:
    """Whose decision an authorisation is: the member that recorded it, else the jurisdiction's member
    (network staff may record an authorisation for any jurisdiction)."""
    if authorization.recorded_by_id is not None:
        return authorization.recorded_by
    return Member.objects.filter(country=authorization.jurisdiction).order_by("pk").first()


# --- the route of an authorisation ----------------------------------------------------------------


def _refuse(field: str, message: str, code: str = "reliance-invalid") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors={field: [message]}, code=code)


def reliance_route_check(
    *, tool_id: uuid.UUID | str, member: Member | None, jurisdiction: str, route: str,
    relies_on: uuid.UUID | str | None, validity: str | None,
    authorization: Authorization | None = None,
) -> tuple[Authorization | None, str | None]:
    """The reference and validity a route names, or a 400 naming the field (SPEC §10.1)."""
    if route not in AuthorizationRoute.values:
        raise _refuse("route", f"unknown route {route!r} (independent or reliance)")
    if route == AuthorizationRoute.INDEPENDENT:
        if relies_on is not None:
            raise _refuse("relies_on", "only a reliance authorisation names relies_on (route: reliance)")
        if validity:
            raise _refuse("validity", "only a reliance authorisation has a validity (route: reliance)")
        return None, None
    validity = validity or AuthorizationValidity.FOLLOWS_REFERENCE
    if validity not in AuthorizationValidity.values:
        raise _refuse("validity", f"unknown validity {validity!r} (follows_reference or independent_after_grant)")
    if relies_on is None:
        raise _refuse("relies_on", "a reliance authorisation names the reference authorisation it relies on")
    if authorization is not None and authorization.relying.exists():
        raise _refuse("route", "reliance-chain: other authorisations rely on this one, so it cannot itself rely on "
                      "another", code="reliance-chain")
    reference = Authorization.objects.select_related("recorded_by").filter(pk=relies_on).first()
    if reference is None:
        raise _refuse("relies_on", f"no authorisation {relies_on}")
    if str(reference.tool_id) != str(tool_id):
        raise _refuse("relies_on", "the reference is an authorisation of another tool; rely on one of this tool's")
    reference_member = authorization_member(reference)
    if reference.jurisdiction == jurisdiction or (member is not None and reference_member == member):
        raise _refuse("relies_on", "an authorisation cannot rely on its own member's authorisation")
    if reference.route != AuthorizationRoute.INDEPENDENT:
        raise _refuse("relies_on", "reliance-chain: the reference itself relies on another authorisation; rely on "
                      f"that one ({reference.relies_on_id})", code="reliance-chain")
    if reference.status != AuthorizationStatus.AUTHORISED:
        raise _refuse("relies_on", f"the reference authorisation is {reference.status}; only an authorised one "
                      "can be relied on", code="reliance-lapsed")
    return reference, validity


# --- events -----------------------------------------------------------------------------------------


def _tool_facets(authorization: Authorization) -> JSONObject:
    tool = authorization.tool
    return {
        "tools": [str(tool.pk)],
        "manufacturers": [tool.manufacturer.lower()],
        "clinical_areas": [tool.clinical_area],
        "jurisdictions": [authorization.jurisdiction],
        "authorised_in": tools_authorised_in([tool.pk]),
    }


def authorization_changed_record(authorization: Authorization) -> Event:
    """`authorisation.changed` for every active member (registry data, SPEC §4), as the API shows it."""
    fresh = authorizations_with_reliance(Authorization.objects.filter(pk=authorization.pk)).select_related("tool").get()
    member = authorization_member(fresh)
    return event_record(
        type="authorisation.changed",
        audience_kind=AudienceKind.NETWORK,
        object_type="authorization",
        object_id=fresh.pk,
        publisher_code=member.code if member else "",
        facets=_tool_facets(fresh),
        payload=authorization_payload(fresh),
    )


def _review_fresh(review: RelianceReview) -> RelianceReview:
    return RelianceReview.objects.select_related(
        "authorization__tool", "reference_authorization", "relying_member", "reference_member",
    ).get(pk=review.pk)


def _review_event(event_type: str, review: RelianceReview) -> None:
    review = _review_fresh(review)
    event_record(
        type=event_type,
        audience_kind=AudienceKind.MEMBERS,
        audience_codes=[review.relying_member.code, review.reference_member.code],
        object_type="reliance_review",
        object_id=review.pk,
        publisher_code=review.reference_member.code,
        facets=_tool_facets(review.authorization),
        payload=review_payload(review),
    )


# --- opening reviews ---------------------------------------------------------------------------------


def _hours(key: str) -> timedelta:
    return timedelta(hours=settings.RELIANCE_REVIEW_HOURS[key])


def _review_open(
    *, actor: User | None, relying: Authorization, relying_member: Member, **fields: object
) -> bool:
    """Insert one review unless this trigger has one already (the unique constraint decides)."""
    review = RelianceReview(authorization=relying, relying_member=relying_member, **fields)
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction usable
            review.save(force_insert=True)
    except IntegrityError:
        return False
    audit_record(
        actor=actor, action="reliance_review.opened", object_type="reliance_review", object_id=review.pk,
        after={"authorization": str(relying.pk), "trigger": fields["trigger_key"], "deadline": review.deadline,
               "relying_member": relying_member.code},
    )
    _review_event("reliance.review_opened", review)
    return True


def _relying_on(reference_q: Q) -> QuerySet[Authorization]:
    return (
        Authorization.objects.filter(route=AuthorizationRoute.RELIANCE)
        .exclude(status=AuthorizationStatus.WITHDRAWN)
        .filter(reference_q)
        .select_related("recorded_by", "relies_on__recorded_by", "tool")
        .order_by("jurisdiction", "pk")
    )


def _relying_on_member_for_tools(
    member: Member, tool_ids: Collection[uuid.UUID]
) -> list[tuple[Authorization, Member]]:
    """Authorisations of these tools that rely on the member's, with their members (active ones only)."""
    reference_q = Q(relies_on__tool_id__in=tool_ids) & (
        Q(relies_on__recorded_by=member) | Q(relies_on__recorded_by__isnull=True, relies_on__jurisdiction=member.country)
    )
    relying_rows = _relying_on(reference_q)
    if not relying_rows.exists():  # most tools have no reliance route: a light query, not the five-table one
        return []
    pairs = []
    for relying in relying_rows:
        relying_member = authorization_member(relying)
        if relying_member is not None and relying_member.pk != member.pk and relying_member.is_active:
            pairs.append((relying, relying_member))
    return pairs


def reliance_reviews_for_alert(*, actor: User, alert: Alert, scope: AlertScope | None = None) -> int:
    """In the publishing (or material amendment) transaction: one review per relying authorisation whose
    member is in the alert's audience. A member outside the audience gets nothing and learns nothing.
    `scope`: the alert's rows as the caller read them for its event (read if not given)."""
    scope = scope or alert_scope(alert)
    tool_ids = [row.tool_id for row in scope.tool_rows]
    audience = set(scope.audience)
    now = timezone.now()
    opened = 0
    for relying, relying_member in _relying_on_member_for_tools(alert.publisher, tool_ids):
        if relying_member.pk not in audience:
            continue
        assert relying.relies_on is not None
        opened += _review_open(
            actor=actor, relying=relying, relying_member=relying_member,
            reference_authorization=relying.relies_on, reference_member=alert.publisher,
            trigger_kind=ReviewTrigger.ALERT, trigger_key=f"alert:{alert.pk}:{alert.revision}",
            alert=alert, alert_revision=alert.revision, severity=alert.severity,
            opened_at=now, deadline=now + _hours(alert.severity),
        )
    return opened


def reliance_gaps(*, alert: Alert) -> list[str]:
    """Members whose authorisation of an affected tool relies on the publisher's and who are outside
    the audience (for the publisher only; the service never widens an audience by itself)."""
    tool_ids = list(AlertTool.objects.filter(alert=alert).values_list("tool_id", flat=True))
    audience = set(alert_audience_members(alert).values_list("pk", flat=True))
    return sorted({
        member.code for _, member in _relying_on_member_for_tools(alert.publisher, tool_ids) if member.pk not in audience
    })


def reliance_reviews_for_change(
    *, actor: User, reference: Authorization, before: JSONObject, after: JSONObject, event: Event,
) -> int:
    """In the transaction that changed the reference's status or versions: one review per relying one."""
    changed = [field for field in REVIEWED_FIELDS if before.get(field) != after.get(field)]
    if not changed:
        return 0
    reference_member = authorization_member(reference)
    if reference_member is None:
        return 0
    now = timezone.now()
    opened = 0
    for relying in _relying_on(Q(relies_on=reference)):
        relying_member = authorization_member(relying)
        if relying_member is None or not relying_member.is_active:
            continue
        lapsed = after.get("status") in LAPSED and relying.validity == AuthorizationValidity.FOLLOWS_REFERENCE
        field = "status" if "status" in changed else changed[0]
        opened += _review_open(
            actor=actor, relying=relying, relying_member=relying_member,
            reference_authorization=reference, reference_member=reference_member,
            trigger_kind=ReviewTrigger.AUTHORISATION_CHANGE, trigger_key=f"change:{event.pk}",
            trigger_from=str(before.get(field) or "")[:64], trigger_to=str(after.get(field) or "")[:64],
            opened_at=now, deadline=now + _hours("lapsed" if lapsed else "change"),
        )
    return opened


# --- deciding -----------------------------------------------------------------------------------------


def _decision_check(outcome: str, rationale: str, versions: str, comment: str) -> None:
    if outcome not in ReviewOutcome.values:
        raise ValidationFailed(f"outcome: unknown outcome {outcome!r} (maintain, vary, suspend or revoke).",
                               errors={"outcome": ["unknown outcome"]})
    if not rationale:
        raise ValidationFailed("rationale: say why; a reliance decision is on the record.",
                               errors={"rationale": ["required"]})
    if outcome == ReviewOutcome.VARY and not versions and not comment:
        raise ValidationFailed("versions: a variation names the versions it now covers, or says what varies "
                               "in a comment.", errors={"versions": ["required for vary (or a comment)"]})


def _relying_status_set(*, actor: User, relying: Authorization, status: str) -> None:
    """`suspend`/`revoke`: the relying member's own authorisation changes, audited and as an event."""
    relying = Authorization.objects.select_for_update(of=("self",)).get(pk=relying.pk)
    if relying.status == status:
        return
    before = relying.status
    relying.status = status
    relying.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="authorization.updated", object_type="authorization", object_id=relying.pk,
                 before={"status": before}, after={"status": status, "by": "reliance review"})
    authorization_changed_record(relying)


def _relying_versions_set(*, actor: User, relying: Authorization, versions: str) -> None:
    """`vary` with versions: the relying authorisation covers them from now on."""
    if not versions:
        return
    relying = Authorization.objects.select_for_update(of=("self",)).select_related("tool").get(pk=relying.pk)
    versions = authorization_versions_check(relying.tool, versions)
    before = relying.versions
    if before == versions:
        return
    relying.versions = versions
    changed: list[str] = ["versions", "updated_at"]
    relying.save(update_fields=changed)
    audit_record(actor=actor, action="authorization.updated", object_type="authorization", object_id=relying.pk,
                 before={"versions": before}, after={"versions": versions, "by": "reliance review"})
    authorization_changed_record(relying)


@audited_write
def reliance_review_decide(
    *, actor: User, review: RelianceReview, outcome: str, rationale: str, versions: str = "", comment: str = "",
) -> RelianceReview:
    review = RelianceReview.objects.select_for_update(of=("self",)).select_related(
        "authorization", "relying_member").get(pk=review.pk)
    if actor.member_id != review.relying_member_id:
        raise PermissionRefused(f"Only the relying member ({review.relying_member.code}) decides this review.")
    if actor.role not in (Role.PUBLISHER, Role.ADMIN):
        raise PermissionRefused("Deciding a reliance review is for the member's publishers and admins.")
    if review.status != ReviewStatus.OPEN:
        raise Conflict(f"The review was decided already ({review.outcome}, {review.decided_at:%Y-%m-%d %H:%M} UTC).")
    rationale, versions, comment = rationale.strip(), versions.strip(), comment.strip()
    _decision_check(outcome, rationale, versions, comment)
    now = timezone.now()
    review.status, review.outcome, review.rationale = ReviewStatus.DECIDED, outcome, rationale
    review.versions, review.comment = versions, comment
    review.decided_by, review.decided_by_email, review.decided_at = actor, actor.email, now
    review.save(update_fields=["status", "outcome", "rationale", "versions", "comment", "decided_by",
                               "decided_by_email", "decided_at"])
    audit_record(actor=actor, action="reliance_review.decided", object_type="reliance_review", object_id=review.pk,
                 before={"status": ReviewStatus.OPEN},
                 after={"status": ReviewStatus.DECIDED, "outcome": outcome, "rationale": rationale,
                        "versions": versions, "comment": comment, "authorization": str(review.authorization_id)})
    if outcome in OUTCOME_STATUS:
        _relying_status_set(actor=actor, relying=review.authorization, status=OUTCOME_STATUS[outcome])
    elif outcome == ReviewOutcome.VARY:
        _relying_versions_set(actor=actor, relying=review.authorization, versions=versions)
    _review_event("reliance.review_decided", review)
    return _review_fresh(review)


# --- overdue ------------------------------------------------------------------------------------------


def _overdue_reminder(review: RelianceReview, admins: list[User]) -> None:
    """The reminder to the relying member's admins, on the one e-mail path (a delivery row per person)."""
    tool = review.authorization.tool
    relying, reference = review.relying_member.code, review.reference_member.code
    authorization = review.authorization.reference
    notice = Notice(
        item=PreferenceItem.RELIANCE_REVIEW, what=_("Reliance review overdue"),
        title=later(lambda: gettext("%(tool)s, authorisation %(authorization)s") % {
            "tool": f"{tool.name} ({tool.manufacturer})", "authorization": authorization}),
        path="/reliance/", deadline=review.deadline, urgency=1,
        lines=((_("Relies on"), later(lambda: gettext("%(member)s's authorisation") % {"member": reference})),
               (_("What to do"), _("Maintain, vary, suspend or revoke the authorisation, with your rationale."))),
    )
    reminder_email_write(
        users=admins, key=f"reliance-review:{review.pk}", notice=notice,
        subject=later(lambda: gettext("Overdue: the reliance review of %(tool)s (%(authorization)s)") % {
            "tool": tool.name, "authorization": authorization}),
        reason=later(lambda: gettext(
            "You receive this reminder as an admin of %(relying)s: its authorisation relies on %(reference)s's, "
            "which acted, and the review is past its deadline.") % {"relying": relying, "reference": reference}),
    )


def reliance_reviews_overdue_sweep(*, now: datetime | None = None, batch: int = 200) -> int:
    """Remind the relying member's admins once per overdue review (as acknowledgements: audited batches)."""
    now = now or timezone.now()

    def fetch(size: int) -> list[RelianceReview]:
        return list(RelianceReview.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("relying_member", "reference_member", "authorization__tool")
                    .overdue(now).filter(overdue_notified_at__isnull=True).order_by("deadline")[:size])

    def remind(due: list[RelianceReview], until: float) -> int:
        admins: dict[int, list[User]] = defaultdict(list)
        for user in admins_active(member_ids={r.relying_member_id for r in due}):
            admins[user.member_id or 0].append(user)
        reminded: list[uuid.UUID] = []
        for review in within_batch_time(due, until):
            audit_record(actor=None, action="reliance_review.overdue", object_type="reliance_review",
                         object_id=review.pk, member_code=review.relying_member.code,
                         after={"deadline": review.deadline, "reminded_at": now})
            _overdue_reminder(review, admins.get(review.relying_member_id, []))
            reminded.append(review.pk)
        RelianceReview.objects.filter(pk__in=reminded).update(overdue_notified_at=now)
        return len(reminded)

    return audited_batches(fetch, remind, most=batch)
