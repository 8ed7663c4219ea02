"""CAP and FHIR carry affected versions and the fixing version, and stay valid (SPEC §10.2)."""

from __future__ import annotations

from collections.abc import Callable

from fhir.resources.bundle import Bundle
from lxml import etree

from alerts.models import Tool
from tests.alerts.factories import alert_published_make
from tests.alerts.interop.conftest import NS, SCHEMA_PATH
from tests.factories import Network
from tests.helpers import ApiCaller


def test_cap_and_fhir_carry_versions_and_stay_valid(network: Network, versioned: Tool,
                                                    callers: Callable[..., ApiCaller]) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[versioned], affected_tools=[
        {"tool": str(versioned.pk), "versions": ">=3.2,<3.4", "fixed_in": "3.4.0"}])
    caller = callers("FDA", "viewer")

    cap = caller.get(f"/api/v1/alerts/{alert.pk}/cap/")
    root = etree.fromstring(cap.content, etree.XMLParser(resolve_entities=False, no_network=True))
    etree.XMLSchema(etree.parse(str(SCHEMA_PATH))).assertValid(root)
    parameters = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
                  for p in root.iterfind(".//cap:info/cap:parameter", NS)}
    assert parameters["affected-versions"] == "3.2.0, 3.3.1"
    assert parameters["fixed-in"] == "3.4.0"

    bundle = caller.get(f"/api/v1/alerts/{alert.pk}/fhir/").json()
    Bundle.model_validate(bundle)
    [device] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DeviceDefinition"]
    assert [(v["type"]["text"], v["value"]) for v in device["version"]] == [
        ("Affected versions", ">=3.2,<3.4"), ("Affected version", "3.2.0"), ("Affected version", "3.3.1"),
        ("Fixed in", "3.4.0")]
