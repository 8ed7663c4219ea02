"""The AI tool registry: registering tools and recording authorisations, each with its audit entry."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from alerts.choices import AuthorizationRoute, AuthorizationStatus, ClinicalArea, Metric, metric_range
from alerts.models import Authorization, BaselineMetric, Tool, ToolIdentifier
from alerts.services.reliance import (
    REVIEWED_FIELDS,
    authorization_changed_record,
    reliance_reviews_for_change,
    reliance_route_check,
)
from alerts.services.versions import authorization_versions_check
from exchange.errors import Conflict, PermissionRefused, ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.models import User
from exchange.services.audit import audit_record, audit_record_change
from exchange.services.chain import audited_write


def tool_state(tool: Tool) -> JSONObject:
    return {
        "name": tool.name,
        "manufacturer": tool.manufacturer,
        "intended_purpose": tool.intended_purpose,
        "clinical_area": tool.clinical_area,
        "identifiers": [{"system": i.system, "value": i.value} for i in tool.identifiers.all()],
    }


def _find_duplicate(name: str, manufacturer: str, exclude_id: uuid.UUID | None = None) -> Tool | None:
    queryset = Tool.objects.annotate(lname=Lower("name"), lmanufacturer=Lower("manufacturer")).filter(
        lname=name.lower(), lmanufacturer=manufacturer.lower()
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.first()


def _duplicate_problem(existing: Tool) -> Conflict:
    return Conflict(
        f"The registry already holds {existing.name!r} by {existing.manufacturer!r} (id {existing.pk}).",
        errors={"name": [f"duplicate of tool {existing.pk}"]},
        existing_tool=str(existing.pk),
    )


def _identifiers_check(
    identifiers: Iterable[dict[str, str]], exclude_tool: uuid.UUID | None = None
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in identifiers:
        pair = (item["system"].strip().lower(), item["value"].strip())
        if not pair[0] or not pair[1]:
            raise ValidationFailed("identifiers: system and value must not be blank.",
                                   errors={"identifiers": ["system and value must not be blank"]})
        if pair in pairs:
            raise ValidationFailed(f"identifiers: {pair[0]}:{pair[1]} is listed twice.",
                                   errors={"identifiers": [f"{pair[0]}:{pair[1]} listed twice"]})
        pairs.append(pair)
    for system, value in pairs:
        clash = ToolIdentifier.objects.filter(system=system, value=value)
        if exclude_tool is not None:
            clash = clash.exclude(tool_id=exclude_tool)
        holder = clash.select_related("tool").first()
        if holder is not None:
            raise Conflict(
                f"Identifier {system}:{value} already identifies {holder.tool.name!r} (id {holder.tool_id}).",
                errors={"identifiers": [f"{system}:{value} belongs to tool {holder.tool_id}"]},
                existing_tool=str(holder.tool_id),
            )
    return pairs


@audited_write
def tool_register(
    *,
    actor: User,
    name: str,
    manufacturer: str,
    clinical_area: str,
    intended_purpose: str = "",
    identifiers: Iterable[dict[str, str]] = (),
) -> Tool:
    name, manufacturer = name.strip(), manufacturer.strip()
    if not name or not manufacturer:
        raise ValidationFailed("name and manufacturer must not be blank.",
                               errors={"name" if not name else "manufacturer": ["must not be blank"]})
    if clinical_area not in ClinicalArea.values:
        raise ValidationFailed(f"Unknown clinical_area {clinical_area!r}.", errors={"clinical_area": ["unknown"]})
    existing = _find_duplicate(name, manufacturer)
    if existing is not None:
        raise _duplicate_problem(existing)
    pairs = _identifiers_check(identifiers)
    tool = Tool(
        name=name, manufacturer=manufacturer, clinical_area=clinical_area,
        intended_purpose=intended_purpose.strip(), registered_by=actor.member,
    )
    try:
        with transaction.atomic():
            tool.save()
            ToolIdentifier.objects.bulk_create([ToolIdentifier(tool=tool, system=s, value=v) for s, v in pairs])
    except IntegrityError as exc:  # a concurrent registration of the same tool or identifier won
        existing = _find_duplicate(name, manufacturer)
        if existing is not None:
            raise _duplicate_problem(existing) from exc
        raise Conflict("A tool with one of these identifiers was registered at the same moment.") from exc
    audit_record(actor=actor, action="tool.registered", object_type="tool", object_id=tool.pk, after=tool_state(tool))
    return tool


@audited_write
def tool_update(*, actor: User, tool: Tool, **changes: JSONValue) -> Tool:
    tool = Tool.objects.select_for_update(of=("self",)).get(pk=tool.pk)
    if not actor.is_staff and (actor.member_id is None or tool.registered_by_id != actor.member_id):
        raise PermissionRefused("Only the member that registered a tool (or network staff) may edit it.")
    before = tool_state(tool)
    identifiers = changes.pop("identifiers", None)
    for field in ("name", "manufacturer", "intended_purpose"):
        if field in changes:
            changes[field] = changes[field].strip()
    if "clinical_area" in changes and changes["clinical_area"] not in ClinicalArea.values:
        raise ValidationFailed("Unknown clinical_area.", errors={"clinical_area": ["unknown"]})
    for field, value in changes.items():
        setattr(tool, field, value)
    existing = _find_duplicate(tool.name, tool.manufacturer, exclude_id=tool.pk)
    if existing is not None:
        raise _duplicate_problem(existing)
    if changes:
        tool.save(update_fields=[*changes.keys(), "updated_at"])
    if identifiers is not None:
        pairs = _identifiers_check(identifiers, exclude_tool=tool.pk)
        tool.identifiers.all().delete()
        ToolIdentifier.objects.bulk_create([ToolIdentifier(tool=tool, system=s, value=v) for s, v in pairs])
    audit_record_change(actor=actor, action="tool.updated", object_type="tool", object_id=tool.pk,
                        before=before, after=tool_state(tool))
    return tool


def authorization_state(authorization: Authorization) -> JSONObject:
    return {
        "tool": str(authorization.tool_id),
        "jurisdiction": authorization.jurisdiction,
        "reference": authorization.reference,
        "status": authorization.status,
        "date": authorization.date,
        "versions": authorization.versions,
        "baseline": [{"metric": b.metric, "value": b.value} for b in authorization.baseline.all()],
        "route": authorization.route,
        "relies_on": str(authorization.relies_on_id) if authorization.relies_on_id else None,
        "validity": authorization.validity,
    }


def _baseline_check(baseline: Iterable[JSONObject]) -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    for index, item in enumerate(baseline):
        metric, value = item["metric"], float(item["value"])
        if metric not in Metric.values:
            raise ValidationFailed(f"baseline[{index}].metric: unknown metric {metric!r}.",
                                   errors={"baseline": {str(index): {"metric": ["unknown metric"]}}})
        lowest, highest = metric_range(metric)
        if not math.isfinite(value) or not lowest <= value <= highest:
            raise ValidationFailed(f"baseline[{index}].value: {metric} is a number between {lowest:g} and {highest:g}.",
                                   errors={"baseline": {str(index): {"value": [f"must be between {lowest:g} and {highest:g}"]}}})
        if any(metric == seen for seen, _ in rows):
            raise ValidationFailed(f"baseline[{index}].metric: {metric} is listed twice.",
                                   errors={"baseline": {str(index): {"metric": ["listed twice"]}}})
        rows.append((metric, value))
    return rows


def _jurisdiction_check(actor: User, jurisdiction: str) -> None:
    if actor.is_staff and actor.member_id is None:
        return
    member = actor.member
    if member is None or member.country != jurisdiction:
        own = member.country if member else "none"
        raise PermissionRefused(
            f"A member records authorisations for its own jurisdiction only ({own}), not {jurisdiction}.",
            errors={"jurisdiction": [f"not the caller's jurisdiction ({own})"]},
        )


@audited_write
def authorization_record(
    *,
    actor: User,
    tool: Tool,
    jurisdiction: str,
    reference: str,
    date: date,
    status: str = AuthorizationStatus.AUTHORISED,
    baseline: Iterable[JSONObject] = (),
    versions: str = "",
    route: str = AuthorizationRoute.INDEPENDENT,
    relies_on: uuid.UUID | str | None = None,
    validity: str | None = None,
) -> Authorization:
    jurisdiction = jurisdiction.strip().upper()
    _jurisdiction_check(actor, jurisdiction)
    versions = authorization_versions_check(tool, versions)
    if status not in AuthorizationStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", errors={"status": ["unknown"]})
    rows = _baseline_check(baseline)
    relies_on_row, validity = reliance_route_check(
        tool_id=tool.pk, member=actor.member, jurisdiction=jurisdiction, route=route, relies_on=relies_on,
        validity=validity,
    )
    existing = Authorization.objects.filter(tool=tool, jurisdiction=jurisdiction).first()
    if existing is not None:
        raise Conflict(
            f"{tool.name!r} already has an authorisation in {jurisdiction} (id {existing.pk}); update it instead.",
            errors={"jurisdiction": [f"already authorised: {existing.pk}"]},
            existing_authorization=str(existing.pk),
        )
    authorization = Authorization(
        tool=tool, jurisdiction=jurisdiction, reference=reference.strip(), status=status, date=date,
        versions=versions, recorded_by=actor.member, route=route, relies_on=relies_on_row, validity=validity,
    )
    try:
        with transaction.atomic():
            authorization.save()
    except IntegrityError as exc:
        raise Conflict(f"{tool.name!r} already has an authorisation in {jurisdiction}.") from exc
    BaselineMetric.objects.bulk_create(
        [BaselineMetric(authorization=authorization, metric=m, value=v) for m, v in rows]
    )
    audit_record(actor=actor, action="authorization.recorded", object_type="authorization",
                 object_id=authorization.pk, after=authorization_state(authorization))
    authorization_changed_record(authorization)
    return authorization


@audited_write
def authorization_update(*, actor: User, authorization: Authorization, **changes: JSONValue) -> Authorization:
    authorization = Authorization.objects.select_for_update(of=("self",)).get(pk=authorization.pk)
    _jurisdiction_check(actor, authorization.jurisdiction)
    before = authorization_state(authorization)
    baseline = changes.pop("baseline", None)
    reviewed_before = {field: getattr(authorization, field, None) for field in REVIEWED_FIELDS}
    _route_apply(actor, authorization, changes)
    if "status" in changes and changes["status"] not in AuthorizationStatus.values:
        raise ValidationFailed("Unknown status.", errors={"status": ["unknown"]})
    if "versions" in changes:
        changes["versions"] = authorization_versions_check(authorization.tool, changes["versions"] or "")
    if "jurisdiction" in changes and changes.pop("jurisdiction").strip().upper() != authorization.jurisdiction:
        raise ValidationFailed("The jurisdiction of an authorisation cannot change; record a new one.",
                               errors={"jurisdiction": ["cannot change"]})
    for field, value in changes.items():
        setattr(authorization, field, value.strip() if isinstance(value, str) else value)
    if changes:
        authorization.save(update_fields=[*changes.keys(), "updated_at"])
    if baseline is not None:
        rows = _baseline_check(baseline)
        authorization.baseline.all().delete()
        BaselineMetric.objects.bulk_create(
            [BaselineMetric(authorization=authorization, metric=m, value=v) for m, v in rows]
        )
    entry = audit_record_change(actor=actor, action="authorization.updated", object_type="authorization",
                                object_id=authorization.pk, before=before, after=authorization_state(authorization))
    reviewed_after = {field: getattr(authorization, field, None) for field in REVIEWED_FIELDS}
    if entry is not None or reviewed_after != reviewed_before:  # a change, not a repeat
        event = authorization_changed_record(authorization)
        reliance_reviews_for_change(actor=actor, reference=authorization, before=reviewed_before,
                                    after=reviewed_after, event=event)
    return authorization


def _route_apply(actor: User, authorization: Authorization, changes: JSONObject) -> None:
    """A PATCH that names route, relies_on or validity is checked as a whole, like a new authorisation."""
    named = {"route", "relies_on", "validity"} & changes.keys()
    if not named:
        return
    route = changes.pop("route", authorization.route)
    relies_on = changes.pop("relies_on", authorization.relies_on_id)
    validity = changes.pop("validity", authorization.validity)
    if route == AuthorizationRoute.INDEPENDENT and named == {"route"}:
        relies_on, validity = None, None  # back to independent: the link goes with the route
    reference, validity = reliance_route_check(
        tool_id=authorization.tool_id, member=authorization.recorded_by or actor.member,
        jurisdiction=authorization.jurisdiction, route=route, relies_on=relies_on, validity=validity,
        authorization=authorization,
    )
    changes.update({"route": route, "relies_on": reference, "validity": validity})
