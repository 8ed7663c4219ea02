"""A problem always renders (SPEC §6 "Bad input"): a value quoted in an error message that cannot be
encoded — a lone surrogate, a control character — is a 400 naming the field, never a 500."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Tool
from tests.alerts.factories import alert_payload, alert_published_make
from tests.alerts.reports.conftest import report_payload
from tests.factories import Network, tool_authorised_make
from tests.helpers import ApiCaller, assert_problem, row_counts

HOSTILE = ["\ud800", "\udfff", "a\udc00b", "\x01\x7f\x9f", "\ufffe"]


@pytest.fixture
def tool(network: Network) -> Tool:
    return tool_authorised_make(network=network, by=("MHRA",))


def _send(caller: ApiCaller, method: str, path: str, body: dict[str, Any]) -> Any:
    # ensure_ascii: the lone surrogate travels as the JSON escape a client would send.
    return getattr(caller.client, method)(path, json.dumps(body, ensure_ascii=True), content_type="application/json")


# (field named in the answer, who sends, method, path, body) for every choice field of the API
CASES: list[tuple[str, str, str, Callable[[Tool, Any], str], Callable[[Tool, str], dict[str, Any]]]] = [
    ("severity", "publisher", "post", lambda t, a: "/api/v1/alerts/", lambda t, v: alert_payload(tools=[t], severity=v)),
    ("alert_type", "publisher", "post", lambda t, a: "/api/v1/alerts/",
     lambda t, v: alert_payload(tools=[t], alert_type=v)),
    ("distribution", "publisher", "post", lambda t, a: "/api/v1/alerts/",
     lambda t, v: alert_payload(tools=[t], distribution=v)),
    ("state", "fda", "put", lambda t, a: f"/api/v1/alerts/{a.pk}/acknowledgement/", lambda t, v: {"state": v}),
    ("decision", "fda", "put", lambda t, a: f"/api/v1/alerts/{a.pk}/acknowledgement/",
     lambda t, v: {"state": "acknowledged", "decision": v}),
    ("role", "admin", "post", lambda t, a: "/api/v1/users/", lambda t, v: {"email": "new@mhra.test", "role": v}),
    ("scopes", "admin", "post", lambda t, a: "/api/v1/tokens/", lambda t, v: {"name": "t", "scopes": [v]}),
    ("clinical_area", "publisher", "post", lambda t, a: "/api/v1/tools/",
     lambda t, v: {"name": "Nodule AI", "manufacturer": "Quillfeather Imaging Ltd", "clinical_area": v,
                   "intended_purpose": "Flags nodules."}),
    ("status", "fda", "post", lambda t, a: f"/api/v1/tools/{t.pk}/authorizations/",
     lambda t, v: {"jurisdiction": "US", "reference": "K000002", "status": v, "date": "2025-03-01"}),
    ("metrics", "publisher", "post", lambda t, a: "/api/v1/reports/",
     lambda t, v: report_payload(t, metrics=[{"metric": v, "value": 0.5}])),
]


@pytest.mark.parametrize(("field", "who", "method", "path", "body"), CASES, ids=[c[0] for c in CASES])
def test_an_unencodable_value_in_a_choice_field_is_a_400_naming_it(
    network: Network, api: Any, tool: Tool, field: str, who: str, method: str, path: Any, body: Any
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    caller = api({"publisher": network.mhra.publisher, "admin": network.mhra.admin,
                  "fda": network.fda.admin}[who])
    before = row_counts()
    for value in HOSTILE:
        response = _send(caller, method, path(tool, alert), body(tool, value))

        problem = assert_problem(response, 400, "validation-error")
        assert any(key == field or key.startswith(f"{field}[") or key.startswith(f"{field}.")
                   for key in problem["errors"]), (value, problem)
        json.dumps(problem, ensure_ascii=False).encode("utf-8")  # the answer is encodable text
    assert row_counts() == before


def test_an_unencodable_field_name_is_quoted_printably(network: Network, api: Any) -> None:
    response = _send(api(network.mhra.admin), "post", "/api/v1/tokens/", {"name": "t", "\ud800\x01": 1})

    assert response.status_code in (400, 201)
    response.content.decode("utf-8")
