"""The payloads (alerts/payloads.py) are what the API answers: each one is what the OpenAPI schema says.

The API's views answer with `alert_payload`, `revision_payload`, `translation_payload`,
`report_payload` and `signal_payload`; the serializers only describe those shapes for the schema.
These tests render each payload across the shapes a row can take (draft, published to a restricted
audience, amended, closed, withdrawn, translated, read in a language; reports with subgroups, a
correction, a draft; signals as two members see them) and validate it against the component the
schema at /api/schema/ documents for it: every documented field present, none undocumented, each
value of the documented type (nullability, enums, uuid formats included).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft202012Validator
from rest_framework.renderers import JSONRenderer

from alerts.models import Alert, AlertRevision, Report, Signal, Tool
from alerts.payloads import (
    alert_payload,
    report_payload,
    revision_payload,
    signal_payload,
    translation_payload,
)
from alerts.selectors import (
    alerts_with_details,
    reports_with_details,
    signals_visible_to,
    signals_with_details,
)
from alerts.services.signals import signals_evaluate
from alerts.services.translations import translation_add
from tests.alerts.factories import (
    alert_amended_make,
    alert_closed_make,
    alert_draft_make,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.alerts.reports.conftest import counts, report_make
from tests.factories import Network

# Where the schema and the payloads knowingly part, and why (none now; a new entry needs its reason).
OPTIONAL: dict[str, set[str]] = {}
UNDOCUMENTED: dict[str, set[str]] = {}


def _openapi_to_json_schema(node: Any, components: dict[str, Any], name: str = "") -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema: refs inlined, `nullable` as a null alternative,
    objects closed (`additionalProperties: false`) so that an undocumented field fails."""
    if isinstance(node, list):
        return [_openapi_to_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"].rsplit("/", 1)[-1]
        return _openapi_to_json_schema(components[ref], components, ref)
    out = {key: _openapi_to_json_schema(value, components) for key, value in node.items()
           if key not in {"properties", "nullable", "readOnly", "writeOnly", "description", "example"}}
    if "properties" in node:
        properties = {field: _openapi_to_json_schema(value, components) for field, value in node["properties"].items()}
        for extra in UNDOCUMENTED.get(name, ()):
            properties[extra] = {}
        out["properties"] = properties
        out["additionalProperties"] = False
        out["required"] = sorted(set(node.get("required", ())) - OPTIONAL.get(name, set()))
    if node.get("nullable"):
        out = {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(json.loads(response.content)["components"]["schemas"])


def assert_conforms(payload: dict[str, Any], component: str, components: dict[str, Any]) -> None:
    """The payload, as a client reads it (through the API's JSON renderer), is valid for the component."""
    as_read = json.loads(JSONRenderer().render(payload))
    assert as_read == payload, "a payload is JSON-ready: rendering it changes nothing"
    schema = _openapi_to_json_schema(copy.deepcopy(components[component]), components, component)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems = [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
                for error in validator.iter_errors(as_read)]
    assert not problems, f"{component}:\n" + "\n".join(problems)
    required = set(components[component].get("required", ())) - OPTIONAL.get(component, set())
    assert required <= set(as_read), f"{component} lacks {required - set(as_read)}"


def test_alert_revision_and_translation_payloads_are_what_the_schema_documents(
    network: Network, tool: Tool, other_tool: Tool, components: dict[str, Any]
) -> None:
    actor = network.mhra.publisher
    alerts = [
        alert_draft_make(actor=actor, tools=[tool]),
        alert_published_make(actor=actor, tools=[tool, other_tool], distribution="restricted", recipients=["FDA", "HC"]),
        alert_closed_make(actor=actor, tools=[tool], affected_jurisdictions=[], imdrf_codes=[]),
        alert_withdrawn_make(actor=actor, tools=[other_tool], distribution="public"),
    ]
    alert_amended_make(actor=actor, alert=alerts[1], severity="critical")
    translation_add(actor=network.fda.publisher, alert=alerts[1], data={
        "language": "fr", "title": "Nodules manqués", "summary": "", "recommended_actions": "", "description": "",
    })
    rows = alerts_with_details(Alert.objects.filter(pk__in=[a.pk for a in alerts])).order_by("created_at")
    assert [row.status for row in rows] == ["draft", "published", "closed", "withdrawn"]

    for row in rows:
        plain = alert_payload(row)
        assert "localized" not in plain
        assert_conforms(plain, "Alert", components)
        for language in ("fr", "ja"):
            read = alert_payload(row, language=language)
            assert_conforms(read, "Alert", components)
            assert set(read) == set(components["Alert"]["properties"])
        for translation in row.translations.all():
            assert_conforms(translation_payload(translation), "Translation", components)

    translated = alert_payload(rows[1], language="fr-CA")
    assert translated["localized"]["title"] == "Nodules manqués"
    assert alert_payload(rows[1], language="ja")["localized"] is None
    assert rows[1].revision == 2
    revisions = AlertRevision.objects.filter(alert__in=alerts)
    assert revisions.count() == 4  # one per publication (3), and the amendment
    for revision in revisions:
        assert_conforms(revision_payload(revision), "Revision", components)


def test_report_and_signal_payloads_are_what_the_schema_documents(
    network: Network, tool: Tool, components: dict[str, Any]
) -> None:
    first = report_make(by=network.mhra, tool=tool, metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    reports = [
        first,
        report_make(by=network.mhra, tool=tool, supersedes=str(first.pk), supersede_reason="Recounted.",
                    metrics=[counts("sensitivity", 790, 1000)], subgroups=[]),
        report_make(by=network.fda, tool=tool, country="US", distribution="restricted", recipients=["HC"]),
        report_make(by=network.hc, tool=tool, country="CA", publish=False, metrics=[{"metric": "auroc", "value": 0.9}]),
    ]
    rows = reports_with_details(Report.objects.filter(pk__in=[r.pk for r in reports]))
    assert {row.status for row in rows} == {"published", "draft"}
    assert any(row.subgroups.all() for row in rows)
    for row in rows:
        assert_conforms(report_payload(row), "Report", components)

    signals_evaluate(tool_id=tool.pk)
    assert Signal.objects.filter(tool=tool).exists()
    for signal in signals_with_details(Signal.objects.filter(tool=tool)):
        assert_conforms(signal_payload(signal), "Signal", components)
    for regulator in (network.mhra, network.fda):
        for signal in signals_visible_to(member=regulator.member).prefetch_related("reports"):
            assert_conforms(signal_payload(signal), "Signal", components)


def test_the_schema_says_what_an_answer_may_leave_out(components: dict[str, Any]) -> None:
    """`localized` is in an alert only when the reader asked for a language: not required; a
    subgroup's metrics are read with `ci_method` like the report's own."""
    assert "localized" not in components["Alert"]["required"]
    assert "localized" in components["Alert"]["properties"]
    subgroup = components["Subgroup"]["properties"]["metrics"]["items"]["$ref"]
    assert subgroup.endswith("/Metric")
    assert "ci_method" in components["Metric"]["properties"]
