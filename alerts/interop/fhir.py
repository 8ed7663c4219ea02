"""An alert as an HL7 FHIR R5 Bundle (SPEC §6). The mapping is documented in docs/interop.md.

A `collection` Bundle: one Communication (the alert), the Organizations it names (publisher,
recipients, manufacturers) and one DeviceDefinition per affected tool. Entries are linked by
`urn:uuid:` full URLs derived from stable ids, so the same alert always gives the same references.
Pure: works on an alert fetched with `alerts.selectors.alerts_for_export` and the audience members.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.utils import translation

from alerts.choices import AlertStatus, AlertType, Severity
from alerts.interop.common import Links, jurisdiction_name
from alerts.models import Alert, Tool, ToolIdentifier
from exchange.models import Member

FHIR_CONTENT_TYPE = "application/fhir+json"
_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-b9a761bde3fb")  # fixed: ids below are stable across runs

# severity → Communication.priority (FHIR request-priority)
FHIR_PRIORITY = {Severity.LOW: "routine", Severity.MEDIUM: "urgent", Severity.HIGH: "asap", Severity.CRITICAL: "stat"}
# Registry identifier systems (lower case) that are regulatory licences or certificates, with the
# jurisdiction that issues them, → DeviceDefinition.regulatoryIdentifier (type "license").
LICENCE_SYSTEMS = {
    "fda-510k": "US", "fda-pma": "US", "fda-de-novo": "US", "ukca": "GB", "ce": "EU", "tga-artg": "AU",
    "artg": "AU", "hc-mdl": "CA", "mdl": "CA", "swissmedic": "CH", "pmda": "JP",
}
BASIC_UDI_SYSTEMS = frozenset({"basic-udi-di", "eudamed-basic-udi-di"})  # → regulatoryIdentifier type "basic"
UDI_SYSTEMS = frozenset({"udi-di", "gudid", "udi", "eudamed-udi-di"})  # → udiDeviceIdentifier
GS1_ISSUER = "http://hl7.org/fhir/NamingSystem/gs1-di"
UDI_JURISDICTION = {"gudid": "http://hl7.org/fhir/NamingSystem/fda-udi",
                    "eudamed-udi-di": "http://hl7.org/fhir/NamingSystem/eu-ec-udi"}


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ref(resource_id: str, display: str | None = None) -> dict[str, Any]:
    reference: dict[str, Any] = {"reference": f"urn:uuid:{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def _jurisdiction_uri(code: str) -> str:
    return f"urn:iso:std:iso:3166:{code}"


def _organization_member(member: Member, links: Links) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": _uuid("member", member.code),
        "identifier": [{"system": links.naming("member"), "value": member.code}],
        "active": member.is_active,
        "type": [{"text": "Medical device regulator"}],
        "name": member.name,
        "alias": [member.code],
        "contact": [{"address": {"country": member.country}}],
    }


def _organization_manufacturer(name: str, links: Links) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": _uuid("manufacturer", name.strip().lower()),
        "identifier": [{"system": links.naming("manufacturer"), "value": name.strip().lower()}],
        "type": [{"text": "Manufacturer"}],
        "name": name,
    }


def _identifiers(tool: Tool, links: Links) -> dict[str, list[dict[str, Any]]]:
    plain: list[dict[str, Any]] = [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{tool.pk}"}]
    regulatory: list[dict[str, Any]] = []
    udi: list[dict[str, Any]] = []
    identifier: ToolIdentifier
    for identifier in tool.identifiers.all():
        system = identifier.system.strip().lower()
        naming = links.naming(f"identifier/{system}")
        if system in LICENCE_SYSTEMS:
            regulatory.append({"type": "license", "deviceIdentifier": identifier.value, "issuer": naming,
                               "jurisdiction": _jurisdiction_uri(LICENCE_SYSTEMS[system])})
        elif system in BASIC_UDI_SYSTEMS:
            regulatory.append({"type": "basic", "deviceIdentifier": identifier.value, "issuer": naming,
                               "jurisdiction": "http://hl7.org/fhir/NamingSystem/eu-ec-udi"})
        elif system in UDI_SYSTEMS:
            gtin = identifier.value.isdigit() and len(identifier.value) == 14
            udi.append({"deviceIdentifier": identifier.value, "issuer": GS1_ISSUER if gtin else naming,
                        "jurisdiction": UDI_JURISDICTION.get(system, naming)})
        else:
            plain.append({"system": naming, "value": identifier.value})
    return {"identifier": plain, "regulatoryIdentifier": regulatory, "udiDeviceIdentifier": udi}


def _versions(row: Any) -> list[dict[str, Any]]:
    """DeviceDefinition.version: each affected registered version, else the specifier as given (SPEC §10.2)."""
    affected = [{"type": {"text": "Affected version"}, "value": v} for v in row.affected_versions or []]
    specifier = [{"type": {"text": "Affected versions"}, "value": row.versions or "all"}]
    fixed = [{"type": {"text": "Fixed in"}, "value": row.fixed_in}] if row.fixed_in else []
    return specifier + affected + fixed


def _device_definition(tool: Tool, versions: list[dict[str, Any]], links: Links) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DeviceDefinition",
        "id": str(tool.pk),
        **{key: value for key, value in _identifiers(tool, links).items() if value},
        "manufacturer": _ref(_uuid("manufacturer", tool.manufacturer.strip().lower()), tool.manufacturer),
        "deviceName": [{"name": tool.name, "type": "registered-name"}],
        "classification": [{"type": {"text": tool.get_clinical_area_display()}}],
        "version": versions,
    }
    if tool.intended_purpose:
        resource["description"] = tool.intended_purpose
    return resource


def _text(label: str, text: str) -> dict[str, Any]:
    return {"contentCodeableConcept": {"text": f"{label}: {text}"}}



def _communication_identifiers(communication: dict[str, Any], alert: Alert, links: Links) -> None:
    if alert.reference:
        communication["identifier"].append({"system": links.naming("alert-reference"), "value": alert.reference})
    if alert.publisher_reference:
        communication["identifier"].append({"system": links.naming(f"publisher-reference/{alert.publisher.code}"),
                                            "value": alert.publisher_reference})
    if alert.published_at is not None:
        communication["sent"] = _instant(alert.published_at)
    if alert.status == AlertStatus.WITHDRAWN:
        communication["statusReason"] = {"text": alert.withdrawal_reason}


def _communication_payload(
    communication: dict[str, Any], alert: Alert, links: Links, imdrf_terms: dict[str, str] | None,
) -> None:
    if alert.summary:
        communication["payload"].append(_text("Summary", alert.summary))
    if alert.recommended_actions:
        communication["payload"].append(_text("Recommended actions", alert.recommended_actions))
    if not communication["payload"]:
        communication["payload"].append(_text("Title", alert.title))
    if alert.imdrf_codes:
        terms = imdrf_terms or {}
        communication["reason"] = [{"concept": {"coding": [
            {"system": links.naming("imdrf-aet"), "code": code, **({"display": terms[code]} if code in terms else {})}
            for code in alert.imdrf_codes
        ]}}]


def _communication_notes(communication: dict[str, Any], alert: Alert, links: Links) -> None:
    notes = [("Description", alert.description), ("Hazard", alert.hazard), ("Harm", alert.harm),
             ("Resolution", alert.resolution), ("Withdrawn", alert.withdrawal_reason)]
    annotations = [{"text": f"{label}: {text}"} for label, text in notes if text]
    codes = sorted(row.jurisdiction for row in alert.jurisdiction_rows.all())
    if codes:
        annotations.append({"text": "Affected jurisdictions: " + ", ".join(f"{jurisdiction_name(c)} ({c})" for c in codes)})
    annotations.append({"text": f"Distribution: {alert.distribution}. Web: {links.page(alert)}"})
    communication["note"] = annotations
    if not communication["recipient"]:
        del communication["recipient"]
    if not communication["about"]:
        del communication["about"]


def _communication_details(
    communication: dict[str, Any], alert: Alert, links: Links, imdrf_terms: dict[str, str] | None,
) -> None:
    """Identifiers, payload, reasons and notes of the Communication, in named steps."""
    _communication_identifiers(communication, alert, links)
    _communication_payload(communication, alert, links, imdrf_terms)
    _communication_notes(communication, alert, links)

@translation.override("en")  # machine-readable: the vocabulary's English words, whoever asks
def fhir_bundle(
    alert: Alert, *, links: Links, audience: Iterable[Member], imdrf_terms: dict[str, str] | None = None,
    now: datetime,
) -> dict[str, Any]:
    """The alert as a FHIR R5 Bundle (a JSON-ready dict). `audience`: the members it is addressed to."""
    rows = list(alert.affected_tool_rows.all())
    publisher = _organization_member(alert.publisher, links)
    recipients = [_organization_member(m, links) for m in sorted(audience, key=lambda m: m.code)
                  if m.pk != alert.publisher_id]
    manufacturers: dict[str, dict[str, Any]] = {}
    for row in rows:
        manufacturers.setdefault(row.tool.manufacturer.strip().lower(),
                                 _organization_manufacturer(row.tool.manufacturer, links))
    devices = [_device_definition(row.tool, _versions(row), links) for row in rows]

    status = {AlertStatus.WITHDRAWN: "entered-in-error", AlertStatus.DRAFT: "preparation"}.get(
        AlertStatus(alert.status), "completed")
    communication: dict[str, Any] = {
        "resourceType": "Communication",
        "id": str(alert.pk),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{alert.pk}"}],
        "status": status,
        "category": [{
            "coding": [{"system": links.naming("alert-type"), "code": alert.alert_type,
                        "display": str(AlertType(alert.alert_type).label)}],
            "text": str(AlertType(alert.alert_type).label),
        }],
        "priority": FHIR_PRIORITY[Severity(alert.severity)],
        "topic": {"text": alert.title},
        "about": [_ref(device["id"], f"{row.tool.name} ({row.tool.manufacturer})")
                  for device, row in zip(devices, rows, strict=True)],
        "sender": _ref(publisher["id"], alert.publisher.name),
        "recipient": [_ref(org["id"], org["name"]) for org in recipients],
        "payload": [],
    }
    _communication_details(communication, alert, links, imdrf_terms)
    resources = [communication, publisher, *recipients, *manufacturers.values(), *devices]
    return {
        "resourceType": "Bundle",
        "id": _uuid("bundle", f"{alert.pk}:{alert.version}"),
        "identifier": {"system": links.naming("alert-export"), "value": f"{alert.pk}-v{alert.version}"},
        "type": "collection",
        "timestamp": _instant(now),
        "entry": [{"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource} for resource in resources],
    }
