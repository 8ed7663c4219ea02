"""Property-based: hostile bodies, parameters and headers sent to every operation never get a 5xx (SPEC §6).

Hypothesis picks an operation from the API's own schema and sends it values chosen to hurt: NUL
characters, numbers far outside any range (and 1e308), deep and wide JSON, impossible dates and
offsets, markup, tampered cursors, odd If-Match and Idempotency-Key headers, path parameters that
are not ids or are another member's. Any answer is fine except a server error (the test client
re-raises the exception behind a 500, so the failing example is shown with its traceback).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.alerts.factories import alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network, authorization_make, tool_make

HOSTILE_TEXT = [
    "\x00", "a\x00b", "9999-99-99", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2026-02-30",
    "1e308", "-1e308", "NaN", "Infinity", "-1", "0", "99999999999999999999999", "<img src=x onerror=alert(1)>",
    "' OR 1=1 --", "%00", "../../etc/passwd", "SAX-9999-999999", "\u202e\ufeff", "x" * 5000, "",
    "00000000-0000-0000-0000-000000000000",
]
HOSTILE_NUMBERS = st.one_of(
    st.sampled_from([1e308, -1e308, 2**63, -(2**63) - 1, 10**30, -1, 0, 0.5, 1.0000001]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, st.sampled_from(HOSTILE_TEXT), st.text(max_size=20))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
CURSORS = [base64.b64encode(raw.encode()).decode() for raw in ("p=9999-99-99", "p=\x00", "o=-1&p=x", "r=1&p=")]
CURSORS += ["not-base64!", "%%%"]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    components = schema.get("components", {}).get("schemas", {})
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            fields: list[str] = []
            content = operation.get("requestBody", {}).get("content", {})
            body_schema = content.get("application/json", {}).get("schema", {})
            ref = body_schema.get("$ref", "")
            if ref:
                fields = list(components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            operations.append({"path": path, "method": method, "query": [p["name"] for p in params],
                               "fields": fields})
    return operations


@pytest.fixture
def world(network: Network, api: Any, settings: Any) -> dict[str, Any]:
    settings.API_RATE_LIMIT = None
    tool = tool_make(actor=network.mhra.publisher)
    authorization_make(actor=network.mhra.publisher, tool=tool)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    hidden = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                  recipients=["HC"])
    report = report_make(by=network.mhra, tool=tool)
    client = APIClient()
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return {
        "operations": _operations(schema),
        "ids": [str(tool.pk), str(alert.pk), str(hidden.pk), str(report.pk), alert.reference, "MHRA", "FDA"],
        "token": api(network.mhra.admin).token,
    }


def _fill(path: str, choice: Any) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(choice), path)


@hypothesis.settings(max_examples=150, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(data=st.data())
def test_hostile_requests_to_every_operation_never_get_a_5xx(world: dict[str, Any], data: st.DataObject) -> None:
    operation = data.draw(st.sampled_from(world["operations"]), label="operation")
    path_value = data.draw(st.sampled_from(world["ids"]) | st.sampled_from(HOSTILE_TEXT[:20]), label="path value")
    path = _fill(operation["path"], path_value.replace("/", "%2F") if "/" in path_value else path_value)
    query = {name: data.draw(st.sampled_from(HOSTILE_TEXT) | st.sampled_from(world["ids"]), label=name)
             for name in data.draw(st.lists(st.sampled_from(operation["query"] or ["search"]), max_size=3,
                                            unique=True), label="query names")}
    if data.draw(st.booleans(), label="cursor"):
        query["cursor"] = data.draw(st.sampled_from(CURSORS), label="cursor value")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world['token']}"}
    if data.draw(st.booleans(), label="headers"):
        headers["HTTP_IF_MATCH"] = data.draw(st.sampled_from(['"x"', "*", "W/", '"' + "9" * 300 + '"', ""]))
        headers["HTTP_IDEMPOTENCY_KEY"] = data.draw(st.sampled_from(["k", " ", "x" * 300, "é"]))
    client = APIClient()
    method = operation["method"]
    if method in {"post", "put", "patch"}:
        body: Any
        if operation["fields"] and data.draw(st.booleans(), label="shaped body"):
            body = {field: data.draw(JSON_VALUES, label=field)
                    for field in data.draw(st.lists(st.sampled_from(operation["fields"]), max_size=6, unique=True))}
        else:
            body = data.draw(JSON_VALUES, label="body")
        raw = json.dumps(body)
        if data.draw(st.booleans(), label="deep"):
            raw = "[" * 200 + raw + "]" * 200
        response = getattr(client, method)(path, raw, content_type="application/json", QUERY_STRING="", **headers)
    else:
        response = getattr(client, method)(path, query, **headers)
    assert response.status_code < 500, (method, path, query, response.content[:300])


# --- partial updates: create bodies with items removed --------------------------------------------


def _pruned(value: Any) -> st.SearchStrategy[Any]:
    """`value` with any keys (at any depth, nested items included) left out, and now and then a leaf
    replaced by a hostile one: what a partial update, a replacement or an amendment may be sent."""
    if isinstance(value, dict):
        keys = sorted(value)
        return st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)).flatmap(
            lambda kept: st.fixed_dictionaries({key: _pruned(value[key]) for key in kept}) if kept else st.just({})
        )
    if isinstance(value, list):
        if not value:
            return st.just([])
        return st.lists(st.one_of(*[_pruned(item) for item in value]), max_size=len(value) + 1)
    return st.one_of(st.just(value), SCALARS)


@pytest.fixture
def updatable(network: Network, api: Any, settings: Any) -> dict[str, Any]:
    """Objects of every kind the API updates, with the create body of each collection."""
    from exchange.services.endpoints import endpoint_create
    from exchange.services.subscriptions import subscription_create
    from tests.alerts.factories import alert_draft_make, alert_payload
    from tests.alerts.reports.conftest import report_payload

    settings.API_RATE_LIMIT = None
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    actor = network.mhra.admin
    tool = tool_make(actor=actor)
    authorization = authorization_make(actor=actor, tool=tool)
    draft = alert_draft_make(actor=actor, tools=[tool])
    published = alert_published_make(actor=actor, tools=[tool])
    report = report_make(by=network.mhra, tool=tool)
    endpoint = endpoint_create(actor=actor, member=network.mhra.member, url="http://127.0.0.1:9/hook")
    subscription = subscription_create(actor=actor, member=network.mhra.member, name="watch",
                                       webhook_endpoints=[str(endpoint.pk)])
    alert_body = alert_payload(tools=[tool])
    tool_body = {"name": "Nodule AI", "manufacturer": "Quillfeather Imaging Ltd", "clinical_area": "radiology",
                 "intended_purpose": "Flags nodules.", "identifiers": [{"system": "udi-di", "value": "0123"}]}
    subscription_body = {"name": "watch", "event_types": ["alert.published"], "alert_types": ["recall"],
                         "severities": ["high"], "tools": [str(tool.pk)], "webhook_endpoints": [str(endpoint.pk)],
                         "email_recipients": ["duty@mhra.test"], "active": True}
    return {
        "token": api(actor).token,
        "targets": [
            ("patch", f"/api/v1/alerts/{draft.pk}/", alert_body),
            ("post", f"/api/v1/alerts/{published.pk}/amend/",
             {**alert_body, "change_summary": "Narrowed.", "material": True}),
            ("put", f"/api/v1/alerts/{published.pk}/acknowledgement/",
             {"state": "acknowledged", "comment": "c", "decision": "adopt", "rationale": "r"}),
            ("put", f"/api/v1/reports/{report.pk}/acknowledgement/", {"state": "acknowledged", "comment": "c"}),
            ("patch", f"/api/v1/tools/{tool.pk}/", tool_body),
            ("patch", f"/api/v1/tools/{tool.pk}/authorizations/{authorization.pk}/",
             {"jurisdiction": "GB", "reference": "UKCA-1", "status": "authorised", "date": "2025-03-01",
              "baseline": [{"metric": "sensitivity", "value": 0.9}]}),
            ("put", f"/api/v1/subscriptions/{subscription.pk}/", subscription_body),
            ("patch", f"/api/v1/subscriptions/{subscription.pk}/", subscription_body),
            ("patch", f"/api/v1/users/{network.mhra.viewer.pk}/", {"role": "assessor", "full_name": "V",
                                                                    "is_active": True}),
            ("patch", f"/api/v1/webhook-endpoints/{endpoint.pk}/",
             {"url": "http://127.0.0.1:9/other", "description": "d", "enabled": True}),
            ("post", "/api/v1/reports/", report_payload(tool)),
        ],
    }


@hypothesis.settings(max_examples=150, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(data=st.data())
def test_partial_bodies_built_from_the_create_schemas_never_get_a_5xx(
    updatable: dict[str, Any], data: st.DataObject
) -> None:
    method, path, whole = data.draw(st.sampled_from(updatable["targets"]), label="operation")
    body = data.draw(_pruned(whole), label="body")
    response = getattr(APIClient(), method)(path, json.dumps(body), content_type="application/json",
                                            HTTP_AUTHORIZATION=f"Bearer {updatable['token']}")
    assert response.status_code < 500, (method, path, body, response.content[:300])
