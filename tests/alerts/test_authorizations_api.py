"""/api/v1/tools/{id}/authorizations/: each member records its own jurisdiction's authorisation."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from alerts.models import Authorization, Tool
from exchange.models import AuditEntry
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import assert_problem, row_counts

UKCA = {
    "jurisdiction": "GB",
    "reference": "UKCA-2025-0042",
    "status": "authorised",
    "date": "2025-03-01",
    "baseline": [{"metric": "sensitivity", "value": 0.92}, {"metric": "specificity", "value": 0.88}],
}


@pytest.fixture
def tool(network: Network) -> Tool:
    """A tool with no authorisation yet (overrides the authorised `tool` of tests/alerts/conftest.py)."""
    return tool_make(actor=network.fda.publisher, name="LungScan AI", manufacturer="Acme Imaging Ltd")


def _url(tool: Tool, authorization: Authorization | None = None) -> str:
    base = f"/api/v1/tools/{tool.pk}/authorizations/"
    return f"{base}{authorization.pk}/" if authorization else base


def test_a_member_records_an_authorisation_in_its_own_jurisdiction(network: Network, api, tool: Tool) -> None:
    response = api(network.mhra.publisher).post(_url(tool), UKCA)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in UKCA} == UKCA
    assert body["tool"] == str(tool.pk)
    assert body["recorded_by"] == "MHRA"
    entry = AuditEntry.objects.get(action="authorization.recorded", object_id=body["id"])
    assert entry.actor_email == "publisher@mhra.test"
    assert entry.after["baseline"] == UKCA["baseline"]
    # The tool now shows it.
    tool_body = api(network.tga.viewer).get(f"/api/v1/tools/{tool.pk}/").json()
    assert [a["reference"] for a in tool_body["authorizations"]] == ["UKCA-2025-0042"]


def test_the_jurisdiction_may_be_given_in_lower_case(network: Network, api, tool: Tool) -> None:
    response = api(network.mhra.publisher).post(_url(tool), {**UKCA, "jurisdiction": "gb"})

    assert response.status_code == 201
    assert response.json()["jurisdiction"] == "GB"


def test_another_jurisdiction_is_refused_naming_the_rule(network: Network, api, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    counts = row_counts()

    response = caller.post(_url(tool), {**UKCA, "jurisdiction": "US"})

    body = assert_problem(response, 403, "forbidden")
    assert "own jurisdiction" in body["detail"]
    assert "GB" in body["detail"]
    assert row_counts() == counts


def test_network_staff_may_record_any_jurisdiction(network: Network, tool: Tool) -> None:
    client = APIClient()
    client.force_login(network.staff)

    response = client.post(_url(tool), {**UKCA, "jurisdiction": "JP", "reference": "PMDA-1"}, format="json")

    assert response.status_code == 201
    assert response.json()["jurisdiction"] == "JP"


def test_a_second_authorisation_in_the_same_jurisdiction_is_a_conflict(network: Network, api, tool: Tool) -> None:
    first = authorization_make(actor=network.mhra.publisher, tool=tool)
    caller = api(network.mhra.admin)
    counts = row_counts()

    response = caller.post(_url(tool), UKCA)

    body = assert_problem(response, 409, "conflict")
    assert str(first.pk) in body["detail"]
    assert row_counts() == counts


@pytest.mark.parametrize(
    ("baseline", "field"),
    [
        ([{"metric": "charisma", "value": 0.9}], "metric"),
        ([{"metric": "sensitivity", "value": 1.2}], "value"),
        ([{"metric": "auroc", "value": -0.1}], "value"),
        ([{"metric": "specificity", "value": "high"}], "value"),
        ([{"metric": "sensitivity", "value": 0.9}, {"metric": "sensitivity", "value": 0.8}], "metric"),
    ],
)
def test_invalid_baselines_are_refused(
    network: Network, api, tool: Tool, baseline: list[dict[str, Any]], field: str
) -> None:
    caller = api(network.mhra.publisher)
    counts = row_counts()

    response = caller.post(_url(tool), {**UKCA, "baseline": baseline})

    body = assert_problem(response, 400, "validation-error")
    assert "baseline" in body["errors"]
    assert field in str(body["errors"]["baseline"])
    assert row_counts() == counts


def test_a_metric_that_is_not_a_proportion_may_exceed_one(network: Network, api, tool: Tool) -> None:
    response = api(network.mhra.publisher).post(
        _url(tool), {**UKCA, "baseline": [{"metric": "calibration_slope", "value": 1.3}]}
    )

    assert response.status_code == 201
    assert response.json()["baseline"] == [{"metric": "calibration_slope", "value": 1.3}]


def test_authorisations_are_listed_filtered_and_read(network: Network, api, tool: Tool) -> None:
    gb = authorization_make(actor=network.mhra.publisher, tool=tool)
    authorization_make(actor=network.fda.publisher, tool=tool, status="suspended")
    caller = api(network.smc.viewer)

    listing = caller.get(_url(tool)).json()["results"]
    suspended = caller.get(_url(tool), {"status": "suspended"}).json()["results"]
    detail = caller.get(_url(tool, gb))

    assert [a["jurisdiction"] for a in listing] == ["GB", "US"]
    assert [a["jurisdiction"] for a in suspended] == ["US"]
    assert detail.status_code == 200
    assert detail.json()["recorded_by"] == "MHRA"


def test_the_recording_member_updates_its_authorisation(network: Network, api, tool: Tool) -> None:
    gb = authorization_make(actor=network.mhra.publisher, tool=tool)

    response = api(network.mhra.publisher).patch(
        _url(tool, gb), {"status": "suspended", "baseline": [{"metric": "sensitivity", "value": 0.9}]}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert response.json()["baseline"] == [{"metric": "sensitivity", "value": 0.9}]
    entry = AuditEntry.objects.get(action="authorization.updated", object_id=str(gb.pk))
    assert (entry.before["status"], entry.after["status"]) == ("authorised", "suspended")


def test_another_member_cannot_update_an_authorisation(network: Network, api, tool: Tool) -> None:
    gb = authorization_make(actor=network.mhra.publisher, tool=tool)

    response = api(network.fda.publisher).patch(_url(tool, gb), {"status": "withdrawn"})

    assert_problem(response, 403, "forbidden")
    gb.refresh_from_db()
    assert gb.status == "authorised"


def test_authorisations_of_an_unknown_tool_are_a_404(network: Network, api) -> None:
    response = api(network.mhra.publisher).post("/api/v1/tools/00000000-0000-0000-0000-000000000000/authorizations/", UKCA)

    assert_problem(response, 404, "not-found")


def test_an_authorisation_of_another_tool_is_a_404(network: Network, api, tool: Tool) -> None:
    other = tool_make(actor=network.mhra.publisher)
    theirs = authorization_make(actor=network.mhra.publisher, tool=other)

    assert_problem(api(network.mhra.viewer).get(_url(tool, theirs)), 404, "not-found")
