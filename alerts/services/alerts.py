"""The safety-alert lifecycle: draft → publish (revision 1) → amend … → close or withdraw.

Every transition runs in one transaction that writes the change, its audit entry and its event,
so that no committed change lacks its event and no event exists for a change that rolled back.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from alerts.choices import DISTRIBUTION_RANK, AlertStatus, Distribution
from alerts.models import (
    Alert,
    AlertJurisdiction,
    AlertRecipient,
    AlertRevision,
    AlertTool,
    Tool,
)
from alerts.payloads import alert_payload, revision_payload
from alerts.references import reference_new
from alerts.selectors import alert_audience, alerts_with_details
from alerts.services import ack_requests
from alerts.services.distribution import recipients_resolve
from alerts.services.facets import AlertScope, alert_facets, alert_scope
from alerts.services.provenance import revision_sign
from alerts.services.reliance import reliance_reviews_for_alert
from alerts.services.search import alerts_search_refresh
from alerts.services.terminology import imdrf_codes_check
from alerts.services.translations import translations_mark_outdated
from alerts.services.versions import affected_tool_check, known_versions_of
from exchange.errors import (
    Conflict,
    PermissionRefused,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from exchange.json_types import JSONObject
from exchange.models import Event, User
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.events import event_record

CONTENT_FIELDS = (
    "language", "title", "summary", "description", "alert_type", "severity", "hazard", "harm", "recommended_actions",
    "imdrf_codes", "publisher_reference", "distribution",
)
RELATED_FIELDS = ("affected_tools", "affected_jurisdictions", "recipients")
# Fields added to revisions after some were written: an earlier revision without one had this value.
_ADDED_LATER = {"language": "en"}

def alert_detailed(alert: Alert) -> Alert:
    """The alert re-read with its rows, as `alert_payload` and `alert_scope` take it."""
    return alerts_with_details(Alert.objects.filter(pk=alert.pk)).get()


def alert_render(alert: Alert) -> JSONObject:
    """The alert as the REST API shows it, re-read with its rows (rendered once per event)."""
    return alert_payload(alert_detailed(alert))


def _content_snapshot(alert: Alert, rendered: JSONObject | None = None) -> JSONObject:
    rendered = rendered if rendered is not None else alert_render(alert)
    keep = (*CONTENT_FIELDS, *RELATED_FIELDS, "reference", "publisher", "status")
    return {key: rendered[key] for key in keep if key in rendered}


def _check_if_match(alert: Alert, if_match: str | None, *, required: bool) -> None:
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "Send If-Match with the alert's current ETag (from GET) to amend it.",
                errors={"If-Match": ["required"]},
            )
        return
    tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
    if "*" not in tags and alert.etag not in tags:
        raise PreconditionFailed(
            f"The alert has changed since you read it (current ETag {alert.etag}); re-read it and retry.",
            errors={"If-Match": ["stale"]},
            current_etag=alert.etag,
        )


def _resolve_tools(items: Iterable[JSONObject]) -> list[AlertTool]:
    """The affected-tool rows, each checked against the tool's registered versions (SPEC §10.2)."""
    items = list(items)
    ids = [str(item["tool"]) for item in items]
    tools = {str(tool.pk): tool for tool in Tool.objects.filter(pk__in=ids)}
    missing = [tool_id for tool_id in ids if tool_id not in tools]
    if missing:
        raise ValidationFailed(
            f"affected_tools: no tool with id {missing[0]} in the registry.",
            errors={"affected_tools": [f"unknown tool {tool_id}" for tool_id in missing]},
        )
    known = known_versions_of(ids)
    rows = []
    for index, item in enumerate(items):
        tool = tools[str(item["tool"])]
        versions, fixed_in, affected = affected_tool_check(
            index, tool, item.get("versions") or "", item.get("fixed_in") or "", known[str(tool.pk)],
        )
        rows.append(AlertTool(tool=tool, versions=versions, fixed_in=fixed_in, affected_versions=affected))
    return rows


def _apply_content(alert: Alert, data: JSONObject) -> None:
    """Write content fields and their rows. `data` holds only the fields being set."""
    if "imdrf_codes" in data:
        # A draft's codes are all checked; an amendment checks the codes it adds (those already
        # published stay as published, even if a later release retired them).
        kept = set(alert.imdrf_codes or []) if alert.status != AlertStatus.DRAFT else set()
        imdrf_codes_check([code for code in data["imdrf_codes"] if code not in kept])
    for field in CONTENT_FIELDS:
        if field in data:
            value = data[field]
            setattr(alert, field, value.strip() if isinstance(value, str) else value)
    if "title" in data and not alert.title:
        raise ValidationFailed("title: must not be blank.", errors={"title": ["must not be blank"]})
    alert.save()
    alerts_search_refresh(alert_ids=[alert.pk])  # the text changed: its search vector, in the same transaction
    if "affected_tools" in data:
        rows = _resolve_tools(data["affected_tools"])
        alert.affected_tool_rows.all().delete()
        for row in rows:
            row.alert = alert
        AlertTool.objects.bulk_create(rows)
    if "affected_jurisdictions" in data:
        alert.jurisdiction_rows.all().delete()
        AlertJurisdiction.objects.bulk_create(
            [AlertJurisdiction(alert=alert, jurisdiction=code) for code in sorted(set(data["affected_jurisdictions"]))]
        )
    if "recipients" in data or "distribution" in data:
        if alert.distribution == Distribution.RESTRICTED:
            codes = data.get("recipients", list(alert.recipient_rows.values_list("member__code", flat=True)))
        else:  # widening to network or public: the list of recipients no longer applies
            codes = data.get("recipients", [])
        members = recipients_resolve(codes=codes, distribution=alert.distribution, publisher=alert.publisher, noun="alert")
        alert.recipient_rows.all().delete()
        AlertRecipient.objects.bulk_create([AlertRecipient(alert=alert, member=m) for m in members])


def _record_event(event_type: str, alert: Alert, payload: JSONObject, scope: AlertScope | None = None) -> Event:
    kind, codes = alert_audience(alert)
    return event_record(
        type=event_type,
        audience_kind=kind,
        audience_codes=codes,
        object_type="alert",
        object_id=alert.pk,
        publisher_code=alert.publisher.code,
        facets=alert_facets(alert, scope),
        payload=payload,
    )


def _with_signed_revision(payload: JSONObject, revision: AlertRevision) -> JSONObject:
    """An alert.* event's data: the alert, plus its current revision as signed (SPEC §8), so that a
    receiver verifies `signature` over `signed_revision` (without its `signature`) offline."""
    return {**payload, "signature": revision.signature, "signed_revision": revision_payload(revision)}


def _request_acknowledgements(alert: Alert, actor: User, event: Event, scope: AlertScope) -> None:
    """In the publishing transaction: the inbox shows the request as soon as the publication commits.
    `event` is the alert.published or alert.amended event just recorded: its subscribers are asked."""
    ack_requests.acknowledgements_request(alert=alert, actor=actor, revision=alert.revision, event=event, scope=scope)


def _touch(alert: Alert) -> None:
    alert.version += 1
    alert.updated_at = timezone.now()


def _locked_for_publisher(actor: User, alert: Alert, verb: str, *, detailed: bool = False) -> Alert:
    """The alert re-read under its row lock, once the actor is known to be of its publishing member
    (`detailed`: with its rows, as `alert_payload` and `alert_scope` take it)."""
    # Lock the alert row only: locking the publisher's member row too would serialise every change by
    # that member and deadlock with the deferred foreign-key checks (KEY SHARE) of concurrent commits.
    locked = Alert.objects.select_for_update(of=("self",)).select_related("publisher")
    alert = (alerts_with_details(locked) if detailed else locked).get(pk=alert.pk)
    if actor.member_id is None or alert.publisher_id != actor.member_id:
        raise PermissionRefused(f"Only the publishing member ({alert.publisher.code}) may {verb} this alert.")
    return alert


@audited_write
def alert_draft_create(*, actor: User, data: JSONObject) -> Alert:
    member = actor.member
    if member is None:
        raise PermissionRefused("Alerts are drafted by member users.")
    alert = Alert(publisher=member, created_by=actor, status=AlertStatus.DRAFT)
    _apply_content(alert, {"distribution": Distribution.NETWORK, **data})
    audit_record(actor=actor, action="alert.drafted", object_type="alert", object_id=alert.pk,
                 after=_content_snapshot(alert))
    return alert


@audited_write
def alert_draft_update(*, actor: User, alert: Alert, data: JSONObject, if_match: str | None) -> Alert:
    alert = _locked_for_publisher(actor, alert, "edit")
    if alert.status != AlertStatus.DRAFT:
        raise Conflict(
            f"Alert {alert.reference} is {alert.status}: a published alert changes only by amendment "
            "(POST …/amend/ with If-Match).",
        )
    _check_if_match(alert, if_match, required=False)
    before = _content_snapshot(alert)
    _touch(alert)
    _apply_content(alert, data)
    audit_record(actor=actor, action="alert.draft_updated", object_type="alert", object_id=alert.pk,
                 before=before, after=_content_snapshot(alert))
    return alert


@audited_write
def alert_draft_delete(*, actor: User, alert: Alert) -> None:
    alert = _locked_for_publisher(actor, alert, "delete")
    if alert.status != AlertStatus.DRAFT:
        raise Conflict(f"Alert {alert.reference} is {alert.status}: only drafts can be deleted; withdraw it instead.")
    before = _content_snapshot(alert)
    alert_id = alert.pk
    alert.delete()
    audit_record(actor=actor, action="alert.draft_deleted", object_type="alert", object_id=alert_id, before=before)


REFERENCE_ATTEMPTS = 20


def _allocate_reference(year: int) -> str:
    """SAX-YYYY-XXXXXX, random (alerts.references), unused: drawn again on a collision.

    Publications hold the chain lock (@audited_write), so no other one can take the reference
    between the check and the save; the unique constraint on `Alert.reference` still guards it.
    """
    for _ in range(REFERENCE_ATTEMPTS):
        reference = reference_new(year)
        if not Alert.objects.filter(reference=reference).exists():
            return reference
    raise RuntimeError(f"no free alert reference for {year} after {REFERENCE_ATTEMPTS} draws")


def _write_revision(
    alert: Alert, actor: User, *, content: JSONObject, change_summary: str, material: bool,
    previous: JSONObject | None,
) -> AlertRevision:
    snapshot = {key: content[key] for key in (*CONTENT_FIELDS, *RELATED_FIELDS)}
    changed = sorted(
        k for k in snapshot if previous is None or previous.get(k, _ADDED_LATER.get(k)) != snapshot[k]
    )
    # A revision keeps what was published; translations are added later by the audience (SPEC §10.5).
    content = {key: value for key, value in content.items() if key != "translations"}
    revision = AlertRevision(
        alert=alert, number=alert.revision, content=content, change_summary=change_summary,
        material=material, changed_fields=changed if previous is not None else [], created_by=actor,
    )
    if changed or previous is None:  # an amendment that changes nothing is refused: nothing to sign
        revision_sign(revision, publisher=alert.publisher)
    revision.save(force_insert=True)
    return revision


@audited_write
def alert_publish(*, actor: User, alert: Alert) -> Alert:
    # @audited_write took the chain lock first, before the alert row. Its rows are read with it, under
    # its lock (a draft's rows change only under it): the payload and the scope below are made from them.
    alert = _locked_for_publisher(actor, alert, "publish", detailed=True)
    if alert.status != AlertStatus.DRAFT:
        raise Conflict(f"Alert {alert.reference} is already {alert.status}; it can be published once.")
    if not alert.affected_tool_rows.all():
        raise ValidationFailed("affected_tools: an alert names at least one AI tool.",
                               errors={"affected_tools": ["required"]})
    now = timezone.now()
    alert.reference = _allocate_reference(now.year)
    alert.status = AlertStatus.PUBLISHED
    alert.revision = 1
    alert.published_at = now
    _touch(alert)
    alert.save(update_fields=["reference", "status", "revision", "published_at", "version", "updated_at"])
    alerts_search_refresh(alert_ids=[alert.pk])  # its reference is searchable from now on
    payload = alert_payload(alert)  # rendered once: revision, audit entry and event share it
    revision = _write_revision(alert, actor, content=payload, change_summary="First publication.", material=True,
                               previous=None)
    audit_record(actor=actor, action="alert.published", object_type="alert", object_id=alert.pk,
                 before={"status": AlertStatus.DRAFT}, after=_content_snapshot(alert, payload))
    scope = alert_scope(alert)  # its rows read once: the event's facets, the requests and the reviews share them
    event = _record_event("alert.published", alert, _with_signed_revision(payload, revision), scope)
    _request_acknowledgements(alert, actor, event, scope)
    reliance_reviews_for_alert(actor=actor, alert=alert, scope=scope)
    return alert


@audited_write
def alert_amend(
    *,
    actor: User,
    alert: Alert,
    data: JSONObject,
    change_summary: str,
    material: bool,
    if_match: str | None,
) -> Alert:
    alert = _locked_for_publisher(actor, alert, "amend")
    if alert.status != AlertStatus.PUBLISHED:
        detail = "publish it first" if alert.status == AlertStatus.DRAFT else "it can no longer change"
        raise Conflict(f"Only a published alert can be amended; this one is {alert.status} ({detail}).")
    _check_if_match(alert, if_match, required=True)
    if not change_summary.strip():
        raise ValidationFailed("change_summary: say what changed.", errors={"change_summary": ["required"]})
    previous = alert.revisions.order_by("-number").values_list("content", flat=True).first() or {}
    before = _content_snapshot(alert)
    new_distribution = data.get("distribution", alert.distribution)
    if DISTRIBUTION_RANK[new_distribution] < DISTRIBUTION_RANK[alert.distribution]:
        raise ValidationFailed(
            f"distribution: a published alert's distribution can widen, not narrow ({alert.distribution} → "
            f"{new_distribution}).", errors={"distribution": ["cannot narrow a published alert's distribution"]},
        )
    if new_distribution == Distribution.RESTRICTED and "recipients" in data:
        removed = set(before["recipients"]) - set(data["recipients"])
        if removed:
            raise ValidationFailed(
                f"recipients: members that received the alert cannot be removed ({', '.join(sorted(removed))}).",
                errors={"recipients": ["cannot remove members that already received the alert"]},
            )
    _touch(alert)
    alert.revision += 1
    _apply_content(alert, data)
    detailed = alert_detailed(alert)
    rendered = alert_payload(detailed)
    revision = _write_revision(alert, actor, content=rendered, change_summary=change_summary.strip(), material=material,
                               previous=previous)
    if not revision.changed_fields:
        raise ValidationFailed("The amendment changes nothing; send the fields that change.",
                               errors={"non_field_errors": ["no change"]})
    payload = dict(rendered)
    payload["amendment"] = {
        "revision": revision.number, "change_summary": revision.change_summary, "material": material,
        "changed_fields": revision.changed_fields,
    }
    audit_record(actor=actor, action="alert.amended", object_type="alert", object_id=alert.pk,
                 before=before, after={**_content_snapshot(alert, rendered), "revision": alert.revision,
                                       "change_summary": revision.change_summary, "material": material})
    scope = alert_scope(detailed)  # its rows as amended, read once
    event = _record_event("alert.amended", alert, _with_signed_revision(payload, revision), scope)
    if material:
        translations_mark_outdated(alert=alert, revision=revision.number)
        _request_acknowledgements(alert, actor, event, scope)
        reliance_reviews_for_alert(actor=actor, alert=alert, scope=scope)
    return alert


def _finish(
    *, actor: User, alert: Alert, status: str, field: str, text: str, allowed_from: tuple[str, ...], verb: str
) -> Alert:
    alert = _locked_for_publisher(actor, alert, verb)
    if alert.status not in allowed_from:
        raise Conflict(f"Alert {alert.reference or '(draft)'} is {alert.status}; it cannot be {status}.")
    if not text.strip():
        raise ValidationFailed(f"{field}: must not be blank.", errors={field: ["must not be blank"]})
    before = {"status": alert.status}
    alert.status = status
    setattr(alert, field, text.strip())
    stamp = "closed_at" if status == AlertStatus.CLOSED else "withdrawn_at"
    setattr(alert, stamp, timezone.now())
    _touch(alert)
    alert.save(update_fields=["status", field, stamp, "version", "updated_at"])
    audit_record(actor=actor, action=f"alert.{status}", object_type="alert", object_id=alert.pk,
                 before=before, after={"status": status, field: text.strip()})
    latest = alert.revisions.order_by("-number").first()
    payload = alert_render(alert)
    _record_event(f"alert.{status}", alert, _with_signed_revision(payload, latest) if latest else payload)
    return alert


@audited_write
def alert_close(*, actor: User, alert: Alert, resolution: str) -> Alert:
    return _finish(actor=actor, alert=alert, status=AlertStatus.CLOSED, field="resolution", text=resolution,
                   allowed_from=(AlertStatus.PUBLISHED,), verb="close")


@audited_write
def alert_withdraw(*, actor: User, alert: Alert, reason: str) -> Alert:
    return _finish(actor=actor, alert=alert, status=AlertStatus.WITHDRAWN, field="withdrawal_reason", text=reason,
                   allowed_from=(AlertStatus.PUBLISHED, AlertStatus.CLOSED), verb="withdraw")
