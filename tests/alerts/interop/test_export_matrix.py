"""CAP 1.2 and FHIR R5 exports across the alert matrix (SPEC §6).

Every alert type × every severity, each with a distribution and a lifecycle state chosen so that every
(distribution, state) pair occurs: the CAP message validates against the official OASIS CAP 1.2 schema
and follows the documented mapping (docs/interop.md), and the FHIR bundle parses with the R5 models of
`fhir.resources` and links what it names. A third of the alerts carry hostile text.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from fhir.resources.bundle import Bundle
from lxml import etree

from alerts.choices import AlertType, Severity
from alerts.models import Alert, Tool
from tests.alerts.factories import alert_amended_make, alert_draft_make, alert_published_make
from tests.alerts.interop.conftest import NS
from tests.factories import Network
from tests.helpers import ApiCaller

DISTRIBUTIONS = ("public", "network", "restricted")
STATES = ("draft", "published", "amended", "closed", "withdrawn", "amended_withdrawn")
MATRIX = [
    (alert_type, severity, DISTRIBUTIONS[i % 3], STATES[(i // 3) % 6])
    for i, (alert_type, severity) in enumerate(itertools.product(AlertType.values, Severity.values))
]
# The documented table (docs/interop.md), written out independently of the code.
SEVERITY = {"critical": "Extreme", "high": "Severe", "medium": "Moderate", "low": "Minor"}
URGENCY = {"critical": "Immediate", "high": "Expected", "medium": "Future", "low": "Future"}
URGENT_TYPES = {"recall", "field_safety_notice", "cybersecurity"}
CERTAINTY = {
    "field_safety_notice": "Observed", "recall": "Observed", "performance_degradation": "Observed",
    "software_defect": "Observed", "safety_communication": "Likely", "bias_or_inequity": "Likely",
    "misuse": "Likely", "cybersecurity": "Possible", "other": "Possible",
}
HOSTILE = {
    "title": "<script>alert('x')</script> & \"quoted\" ]]> \x07bell \U0001f691",
    "summary": "Line one\r\nLine two \u2028 ünïcödé <b>bold</b> &amp; \x0bvertical-tab",
    "description": "<!-- comment --> <![CDATA[ x ]]> {{ template }} {% tag %} ${expr} \ufffe",
    "recommended_actions": "Stop using it; </instruction><instruction>injected</instruction> &#x41;",
    "hazard": "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
}
XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CAP_FORBIDDEN = re.compile(r"[\s,<&]")
SENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


def _as_xml(text: str) -> str:
    return XML_INVALID.sub("\ufffd", text)


def _make(network: Network, tools: list[Tool], alert_type: str, severity: str, distribution: str, state: str,
          hostile: bool) -> Alert:
    publisher = network.mhra.publisher
    fields: dict[str, Any] = {"alert_type": alert_type, "severity": severity, "distribution": distribution,
                              "recipients": ["FDA", "HC"] if distribution == "restricted" else [],
                              "affected_jurisdictions": ["GB", "US", "EU"]}
    if hostile:
        fields.update(HOSTILE)
    if state == "draft":
        return alert_draft_make(actor=publisher, tools=tools, **fields)
    alert = alert_published_make(actor=publisher, tools=tools, **fields)
    if state in ("amended", "amended_withdrawn"):
        alert = alert_amended_make(actor=publisher, alert=alert, summary="Second look: " + alert.summary)
        alert = alert_amended_make(actor=publisher, alert=alert, material=False, severity=severity,
                                   hazard="Amended hazard <&>")
    from alerts.services.alerts import alert_close, alert_withdraw

    if state == "closed":
        alert = alert_close(actor=publisher, alert=alert, resolution="Fixed in 2.4.1 <ok> & done.")
    if state in ("withdrawn", "amended_withdrawn"):
        alert = alert_withdraw(actor=publisher, alert=alert, reason="Issued in error: wrong <tool> & site.")
    alert.refresh_from_db()
    return alert


def _params(info: Any) -> list[tuple[str, str]]:
    return [(p.findtext("cap:valueName", namespaces=NS), p.findtext("cap:value", namespaces=NS))
            for p in info.findall("cap:parameter", NS)]


def _check_cap(root: Any, alert: Alert, tools: list[Tool], state: str) -> None:
    text = lambda path: root.findtext(path, namespaces=NS)  # noqa: E731
    identifier, sender = text("cap:identifier"), text("cap:sender")
    assert identifier
    assert not CAP_FORBIDDEN.search(identifier)
    assert sender == "MHRA@127.0.0.1"
    assert not CAP_FORBIDDEN.search(sender)
    assert SENT.match(text("cap:sent"))
    assert text("cap:status") == ("Draft" if state == "draft" else "Actual")
    expected_type = {"draft": "Alert", "published": "Alert", "amended": "Update", "closed": "Update",
                     "withdrawn": "Cancel", "amended_withdrawn": "Cancel"}[state]
    assert text("cap:msgType") == expected_type
    references = (text("cap:references") or "").split()
    expected_earlier = {"draft": 0, "published": 0, "amended": 2, "closed": 1, "withdrawn": 1,
                        "amended_withdrawn": 3}[state]
    assert len(references) == expected_earlier
    for ref in references:
        ref_sender, ref_identifier, ref_sent = ref.split(",")
        assert ref_sender == sender
        assert ref_identifier != identifier
        assert SENT.match(ref_sent)
    scope = text("cap:scope")
    if alert.distribution == "public":
        assert scope == "Public"
        assert root.find("cap:restriction", NS) is None
    elif alert.distribution == "network":
        assert scope == "Restricted"
        assert "member regulators only" in text("cap:restriction")
    else:
        assert scope == "Private"
        assert text("cap:addresses").split() == ["FDA", "HC"]

    infos = root.findall("cap:info", NS)
    assert len(infos) == 1
    info = infos[0]
    t = lambda path: info.findtext(path, namespaces=NS)  # noqa: E731
    assert t("cap:category") == "Health"
    assert t("cap:event").startswith(str(AlertType(alert.alert_type).label))
    closed = state == "closed"
    urgency = URGENCY[alert.severity]
    if urgency == "Future" and alert.alert_type in URGENT_TYPES:
        urgency = "Expected"
    assert t("cap:urgency") == ("Past" if closed else urgency)
    assert t("cap:severity") == SEVERITY[alert.severity]
    assert t("cap:certainty") == CERTAINTY[alert.alert_type]
    if closed:
        assert t("cap:responseType") == "AllClear"
    assert t("cap:headline") == _as_xml(alert.title)
    assert t("cap:instruction") == _as_xml(alert.recommended_actions)
    assert _as_xml(alert.summary) in t("cap:description")
    web = t("cap:web")
    if alert.distribution == "public" and state != "draft":
        assert web == f"http://127.0.0.1:8000/public/alerts/{alert.reference}/"
    else:
        assert web == f"http://127.0.0.1:8000/alerts/{alert.pk}/"
    params = _params(info)
    assert ("sax-alert-id", str(alert.pk)) in params
    assert ("tool-1", "LungScan AI (Quillfeather Imaging Ltd)") in params
    assert ("tool-1-identifier", "fda-510k|K239901") in params
    assert ("tool-1-versions", ">=2.0,<2.4") in params
    assert ("tool-2", "SepsisWatch <Predict> & Co (Halloran \"Vantis\" Health)") in params
    assert ("tool-2-id", str(tools[1].pk)) in params
    areas = info.findall("cap:area", NS)
    assert len(areas) == 1
    assert areas[0].findtext("cap:areaDesc", namespaces=NS) == "European Union, United Kingdom, United States"
    geocodes = [(g.findtext("cap:valueName", namespaces=NS), g.findtext("cap:value", namespaces=NS))
                for g in areas[0].findall("cap:geocode", NS)]
    assert geocodes == [("ISO3166-1", "EU"), ("ISO3166-1", "GB"), ("ISO3166-1", "US")]
    # Hostile text never becomes markup: the only elements are CAP's own.
    assert {el.tag.split("}")[1] for el in root.iter()} <= CAP_ELEMENTS


CAP_ELEMENTS = {
    "alert", "identifier", "sender", "sent", "status", "msgType", "source", "scope", "restriction", "addresses",
    "note", "references", "incidents", "info", "language", "category", "event", "responseType", "urgency",
    "severity", "certainty", "eventCode", "effective", "senderName", "headline", "description", "instruction",
    "web", "contact", "parameter", "valueName", "value", "area", "areaDesc", "geocode",
}


def _check_fhir(bundle: dict[str, Any], alert: Alert, tools: list[Tool], state: str) -> None:
    Bundle.model_validate(bundle)  # raises on anything R5 does not allow
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    assert len(by_url) == len(bundle["entry"]), "fullUrls are unique"
    communications = [r for r in by_url.values() if r["resourceType"] == "Communication"]
    assert len(communications) == 1
    comm = communications[0]
    expected = {"draft": "preparation", "withdrawn": "entered-in-error", "amended_withdrawn": "entered-in-error"}
    assert comm["status"] == expected.get(state, "completed")
    sender = by_url[comm["sender"]["reference"]]
    assert sender["resourceType"] == "Organization"
    assert sender["identifier"][0]["value"] == "MHRA"
    devices = [by_url[ref["reference"]] for ref in comm["about"]]
    assert [d["resourceType"] for d in devices] == ["DeviceDefinition", "DeviceDefinition"]
    assert [d["id"] for d in devices] == [str(t.pk) for t in tools]
    assert sum(1 for r in by_url.values() if r["resourceType"] == "DeviceDefinition") == len(tools)
    lung, sepsis = devices
    assert lung["deviceName"][0]["name"] == "LungScan AI"
    assert by_url[lung["manufacturer"]["reference"]]["name"] == "Quillfeather Imaging Ltd"
    assert lung["regulatoryIdentifier"][0]["deviceIdentifier"] == "K239901"
    assert lung["udiDeviceIdentifier"][0]["deviceIdentifier"] == "08800123456781"
    assert lung["version"][0]["value"] == ">=2.0,<2.4"
    assert sepsis["regulatoryIdentifier"][0]["jurisdiction"].endswith("GB")
    assert any(i["value"] == "HV-9" for i in sepsis["identifier"])
    texts = [p["contentCodeableConcept"]["text"] for p in comm["payload"]]
    assert f"Summary: {alert.summary}" in texts
    assert f"Recommended actions: {alert.recommended_actions}" in texts
    recipients = sorted(by_url[r["reference"]]["identifier"][0]["value"] for r in comm.get("recipient", []))
    if alert.distribution == "restricted":
        assert recipients == ["FDA", "HC"]
    else:
        assert recipients == ["FDA", "HC", "SMC", "TGA"]
    for resource in by_url.values():  # every reference resolves inside the bundle
        for ref in re.findall(r"'reference': '([^']+)'", str(resource)):
            assert ref in by_url, ref


@pytest.mark.parametrize(("alert_type", "severity", "distribution", "state"), MATRIX,
                         ids=[f"{a}-{s}-{d}-{st}" for a, s, d, st in MATRIX])
def test_cap_validates_and_fhir_parses(
    network: Network, tools: list[Tool], api: Any, cap_schema: Any,
    alert_type: str, severity: str, distribution: str, state: str,
) -> None:
    hostile = MATRIX.index((alert_type, severity, distribution, state)) % 3 == 0
    alert = _make(network, tools, alert_type, severity, distribution, state, hostile)
    caller: ApiCaller = api(network.mhra.publisher)

    cap = caller.get(f"/api/v1/alerts/{alert.pk}/cap/")
    assert cap.status_code == 200, cap.content[:300]
    assert cap["Content-Type"] == "application/cap+xml"
    root = etree.fromstring(cap.content, etree.XMLParser(resolve_entities=False, no_network=True))
    cap_schema.assertValid(root)
    _check_cap(root, alert, tools, state)

    fhir = caller.get(f"/api/v1/alerts/{alert.pk}/fhir/")
    assert fhir.status_code == 200
    assert fhir["Content-Type"].startswith("application/fhir+json")
    _check_fhir(fhir.json(), alert, tools, state)


def test_the_matrix_covers_every_type_severity_distribution_and_state() -> None:
    assert {m[0] for m in MATRIX} == set(AlertType.values)
    assert {m[1] for m in MATRIX} == set(Severity.values)
    assert {(m[2], m[3]) for m in MATRIX} == set(itertools.product(DISTRIBUTIONS, STATES))
