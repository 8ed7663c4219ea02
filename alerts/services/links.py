"""Links between alerts (SPEC §10.6): drawn and removed by the publisher of the linking alert, audited, and
never an event (links are not news). A link never merges or changes either alert.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.db.models import Q

from alerts.links import alert_summary, links_visible_to
from alerts.models import Alert, AlertLink, LinkKind
from alerts.references import reference_normalise
from alerts.selectors import alerts_visible_to
from exchange.choices import Scope, scopes_for_role
from exchange.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject
from exchange.models import User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write

NOTE_MAX_CHARS = 2000
NO_SUCH_TARGET = "no such alert (or not visible to your member)"


def _require_linker(actor: User, alert: Alert) -> None:
    if actor.member_id is None or actor.member_id != alert.publisher_id or Scope.PUBLISH not in scopes_for_role(
        actor.role
    ):
        raise PermissionRefused(
            f"Only the publishers and admins of the publishing member ({alert.publisher.code}) link this alert."
        )


def _target(alert: Alert, key: str) -> Alert:
    """The alert named by id or reference, if the linking alert's publisher may see it; the same 400
    whether it does not exist or is hidden, so that a link attempt confirms nothing."""
    key = (key or "").strip()
    lookup: dict[str, str | uuid.UUID]
    reference = reference_normalise(key)
    if reference:
        lookup = {"reference": reference}
    else:
        try:
            lookup = {"pk": uuid.UUID(key)}
        except ValueError:
            raise ValidationFailed(f"alert: {NO_SUCH_TARGET}.", errors={"alert": [NO_SUCH_TARGET]}) from None
    target = alerts_visible_to(member=alert.publisher).filter(**lookup).select_related("publisher").first()
    if target is None:
        raise ValidationFailed(f"alert: {NO_SUCH_TARGET}.", errors={"alert": [NO_SUCH_TARGET]})
    if target.pk == alert.pk:
        raise ValidationFailed("alert: an alert cannot be linked to itself.", errors={"alert": ["is this alert"]})
    return target


def _clean(kind: str, note: str) -> tuple[str, str]:
    if kind not in LinkKind.values:
        raise ValidationFailed(f"kind: must be one of {', '.join(LinkKind.values)}.",
                               errors={"kind": [f"must be one of {', '.join(LinkKind.values)}"]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationFailed(f"note: at most {NOTE_MAX_CHARS} characters.",
                               errors={"note": [f"at most {NOTE_MAX_CHARS} characters"]})
    return kind, note


def _snapshot(link: AlertLink) -> JSONObject:
    return {"link": str(link.pk), "kind": link.kind, "note": link.note, "alert": str(link.alert_id),
            "target": alert_summary(link.target)}


@audited_write
def alert_link_create(*, actor: User, alert: Alert, target: str, kind: str, note: str = "") -> AlertLink:
    alert = Alert.objects.select_related("publisher").get(pk=alert.pk)
    _require_linker(actor, alert)
    kind, note = _clean(kind, note)
    other = _target(alert, target)
    if AlertLink.objects.filter(alert=alert, target=other).exists():
        raise Conflict(f"This alert is already linked to {other.reference or 'that alert'}; remove that link first.")
    try:
        with transaction.atomic():  # a concurrent identical link: the unique constraint decides, 409 not 500
            link = AlertLink.objects.create(alert=alert, target=other, kind=kind, note=note, created_by=actor)
    except IntegrityError as exc:
        raise Conflict(f"This alert is already linked to {other.reference or 'that alert'}.") from exc
    audit_record(actor=actor, action="alert.link_created", object_type="alert", object_id=alert.pk,
                 after=_snapshot(link))
    return link


@audited_write
def alert_link_delete(*, actor: User, alert: Alert, link_id: uuid.UUID | str) -> None:
    """Remove a link of `alert` (either end); the caller already knows it may see `alert`."""
    try:
        key = uuid.UUID(str(link_id))
    except ValueError:
        raise NotFound("No such link (or not visible to your member).") from None
    link = (
        links_visible_to(member=actor.member).filter(pk=key).filter(Q(alert=alert) | Q(target=alert))
        .select_related("alert__publisher", "target__publisher").first()
    )
    if link is None:
        raise NotFound("No such link (or not visible to your member).")
    _require_linker(actor, link.alert)
    before = _snapshot(link)
    link.delete()
    audit_record(actor=actor, action="alert.link_removed", object_type="alert", object_id=before["alert"],
                 before=before)
