"""/api/v1/tools/: the shared registry of AI tools (SPEC §2 "AI tool")."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from alerts.models import Tool, ToolIdentifier
from exchange.models import AuditEntry
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import assert_problem, row_counts

LUNGSCAN = {
    "name": "LungScan AI",
    "manufacturer": "Acme Imaging Ltd",
    "intended_purpose": "Flags suspected lung nodules on chest CT",
    "clinical_area": "radiology",
    "identifiers": [{"system": "fda-510k", "value": "K231234"}],
}


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [tool["name"] for tool in response.json()["results"]]


@pytest.fixture
def registry(network: Network) -> dict[str, Tool]:
    """Three tools: two radiology tools by different manufacturers and one cardiology tool."""
    lung = tool_make(actor=network.mhra.publisher, name="LungScan AI", manufacturer="Acme Imaging Ltd",
                     identifiers=[{"system": "fda-510k", "value": "K231234"}])
    mammo = tool_make(actor=network.fda.publisher, name="MammoRead Assist", manufacturer="Brightmoor Analytics",
                      intended_purpose="Second reader for screening mammography",
                      identifiers=[{"system": "ce", "value": "CE-BMA-7781"}])
    echo = tool_make(actor=network.fda.publisher, name="EchoFlow EF", manufacturer="Cardiantis Labs",
                     clinical_area="cardiology", intended_purpose="Estimates ejection fraction",
                     identifiers=[{"system": "udi-di", "value": "05060912345675"}])
    authorization_make(actor=network.mhra.publisher, tool=lung)
    authorization_make(actor=network.fda.publisher, tool=mammo)
    authorization_make(actor=network.mhra.publisher, tool=echo, status="suspended")
    return {"lung": lung, "mammo": mammo, "echo": echo}


def test_registering_a_tool(network: Network, api) -> None:
    response = api(network.mhra.assessor).post("/api/v1/tools/", LUNGSCAN)

    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in LUNGSCAN} == LUNGSCAN
    assert body["registered_by"] == "MHRA"
    assert body["authorizations"] == []
    tool = Tool.objects.get(pk=body["id"])
    assert tool.registered_by == network.mhra.member
    entry = AuditEntry.objects.get(action="tool.registered", object_id=body["id"])
    assert entry.actor_email == "assessor@mhra.test"
    assert entry.after["identifiers"] == [{"system": "fda-510k", "value": "K231234"}]


def test_every_member_reads_the_whole_registry(network: Network, api, registry: dict[str, Tool]) -> None:
    names = _names(api(network.smc.viewer).get("/api/v1/tools/"))

    assert sorted(names) == ["EchoFlow EF", "LungScan AI", "MammoRead Assist"]


def test_a_tool_shows_its_authorisations_and_baselines(network: Network, api, registry: dict[str, Tool]) -> None:
    body = api(network.tga.viewer).get(f"/api/v1/tools/{registry['lung'].pk}/").json()

    assert body["name"] == "LungScan AI"
    assert [(a["jurisdiction"], a["status"]) for a in body["authorizations"]] == [("GB", "authorised")]
    assert body["authorizations"][0]["baseline"] == [
        {"metric": "sensitivity", "value": 0.92}, {"metric": "specificity", "value": 0.88},
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"search": "mammography"}, ["MammoRead Assist"]),
        ({"search": "lungscan"}, ["LungScan AI"]),
        ({"search": "CE-BMA-7781"}, ["MammoRead Assist"]),
        ({"clinical_area": "cardiology"}, ["EchoFlow EF"]),
        ({"clinical_area": "radiology"}, ["LungScan AI", "MammoRead Assist"]),
        ({"manufacturer": "acme imaging ltd"}, ["LungScan AI"]),
        ({"authorised_in": "GB"}, ["LungScan AI"]),  # EchoFlow's GB authorisation is suspended
        ({"authorised_in": "us"}, ["MammoRead Assist"]),
        ({"authorised_in": "CH"}, []),
        ({"identifier": "k231234"}, ["LungScan AI"]),
        ({"clinical_area": "radiology", "authorised_in": "US"}, ["MammoRead Assist"]),
    ],
)
def test_tools_can_be_searched_and_filtered(
    network: Network, api, registry: dict[str, Tool], query: dict[str, str], expected: list[str]
) -> None:
    assert sorted(_names(api(network.hc.viewer).get("/api/v1/tools/", query))) == expected


def test_an_unknown_clinical_area_filter_is_a_400(network: Network, api) -> None:
    body = assert_problem(api(network.hc.viewer).get("/api/v1/tools/", {"clinical_area": "astrology"}), 400)

    assert "clinical_area" in body["errors"]


@pytest.mark.parametrize(
    ("name", "manufacturer"),
    [
        ("LungScan AI", "Acme Imaging Ltd"),
        ("lungscan ai", "ACME IMAGING LTD"),
        ("  LungScan AI ", "\tAcme Imaging Ltd  "),
    ],
)
def test_a_duplicate_tool_is_a_conflict_naming_the_existing_one(
    network: Network, api, registry: dict[str, Tool], name: str, manufacturer: str
) -> None:
    caller = api(network.hc.publisher)
    counts = row_counts()

    response = caller.post(
        "/api/v1/tools/", {"name": name, "manufacturer": manufacturer, "clinical_area": "radiology"}
    )

    body = assert_problem(response, 409, "conflict")
    existing = str(registry["lung"].pk)
    assert existing in body["detail"]
    assert body["existing_tool"] == existing
    assert row_counts() == counts


def test_an_identifier_already_held_by_another_tool_is_a_conflict(
    network: Network, api, registry: dict[str, Tool]
) -> None:
    caller = api(network.hc.publisher)
    counts = row_counts()

    response = caller.post("/api/v1/tools/", {
        "name": "Another product", "manufacturer": "Someone Else", "clinical_area": "radiology",
        "identifiers": [{"system": "udi-di", "value": "05060912345675"}],
    })

    body = assert_problem(response, 409, "conflict")
    assert str(registry["echo"].pk) in body["detail"]
    assert body["existing_tool"] == str(registry["echo"].pk)
    assert row_counts() == counts


def test_the_registrant_edits_its_tool(network: Network, api, registry: dict[str, Tool]) -> None:
    lung = registry["lung"]

    response = api(network.mhra.assessor).patch(
        f"/api/v1/tools/{lung.pk}/",
        {"intended_purpose": "Flags lung nodules", "identifiers": [{"system": "ukca", "value": "UKCA-1"}]},
    )

    assert response.status_code == 200
    assert response.json()["intended_purpose"] == "Flags lung nodules"
    assert list(ToolIdentifier.objects.filter(tool=lung).values_list("system", "value")) == [("ukca", "UKCA-1")]
    entry = AuditEntry.objects.get(action="tool.updated", object_id=str(lung.pk))
    assert entry.before["intended_purpose"] == "Flags suspected lung nodules on chest CT for radiologist review"
    assert entry.after["intended_purpose"] == "Flags lung nodules"


def test_another_member_cannot_edit_a_tool(network: Network, api, registry: dict[str, Tool]) -> None:
    lung = registry["lung"]
    caller = api(network.fda.admin)
    counts = row_counts()

    response = caller.patch(f"/api/v1/tools/{lung.pk}/", {"name": "Hijacked"})

    body = assert_problem(response, 403, "forbidden")
    assert "registered" in body["detail"]
    lung.refresh_from_db()
    assert lung.name == "LungScan AI"
    assert row_counts() == counts


def test_network_staff_may_edit_any_tool(network: Network, registry: dict[str, Tool]) -> None:
    client = APIClient()
    client.force_login(network.staff)

    response = client.patch(f"/api/v1/tools/{registry['lung'].pk}/", {"clinical_area": "oncology"}, format="json")

    assert response.status_code == 200
    assert response.json()["clinical_area"] == "oncology"


def test_renaming_into_a_duplicate_is_a_conflict(network: Network, api, registry: dict[str, Tool]) -> None:
    response = api(network.fda.publisher).patch(
        f"/api/v1/tools/{registry['mammo'].pk}/", {"name": "lungscan ai", "manufacturer": "acme imaging ltd"}
    )

    body = assert_problem(response, 409, "conflict")
    assert body["existing_tool"] == str(registry["lung"].pk)


@pytest.mark.parametrize("tool_id", [str(uuid.UUID(int=1)), "not-a-uuid"])
def test_an_unknown_tool_is_a_404(network: Network, api, tool_id: str) -> None:
    assert_problem(api(network.mhra.viewer).get(f"/api/v1/tools/{tool_id}/"), 404, "not-found")
