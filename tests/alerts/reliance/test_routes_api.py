"""Authorisations by reliance (SPEC §10.1, Appendix B): the route, its reference, and every refusal."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.models import Authorization, Tool
from exchange.models import AuditEntry, Event
from tests.alerts.reliance.conftest import Reliance, events_of
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import assert_problem, row_counts


def _url(tool: Tool, authorization: Authorization | None = None) -> str:
    base = f"/api/v1/tools/{tool.pk}/authorizations/"
    return f"{base}{authorization.pk}/" if authorization else base


@pytest.fixture
def reference(network: Network) -> tuple[Tool, Authorization]:
    tool = tool_make(actor=network.fda.publisher, name="DermaCheck AI", manufacturer="Ostrava Skin Analytics")
    return tool, authorization_make(actor=network.fda.publisher, tool=tool, reference="K250202")


def _body(relied_on: Authorization, **overrides: Any) -> dict[str, Any]:
    return {"jurisdiction": "CA", "reference": "HC-MDL-2026-0101", "status": "authorised", "date": "2026-02-01",
            "route": "reliance", "relies_on": str(relied_on.pk), "validity": "follows_reference", **overrides}


def test_a_reliance_authorisation_reads_back_with_its_reference(network: Network, api, reference) -> None:
    tool, fda = reference

    response = api(network.hc.publisher).post(_url(tool), _body(fda))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["route"] == "reliance"
    assert body["validity"] == "follows_reference"
    assert body["member"] == "HC"
    assert body["reference_lapsed"] is False
    assert body["relies_on"] == {"id": str(fda.pk), "member": "FDA", "jurisdiction": "US", "reference": "K250202",
                                 "status": "authorised"}
    # registry data: any member reads it, on the list, the detail and the tool
    read = api(network.tga.viewer)
    assert read.get(_url(tool, Authorization.objects.get(pk=body["id"]))).json() == body
    listed = {a["jurisdiction"]: a for a in read.get(_url(tool)).json()["results"]}
    assert listed["US"]["route"] == "independent"
    assert listed["US"]["relies_on"] is None
    assert listed["US"]["validity"] is None
    assert listed["US"]["member"] == "FDA"
    on_tool = {a["jurisdiction"]: a for a in read.get(f"/api/v1/tools/{tool.pk}/").json()["authorizations"]}
    assert on_tool["CA"]["route"] == "reliance"
    assert on_tool["CA"]["relies_on"]["member"] == "FDA"
    entry = AuditEntry.objects.get(action="authorization.recorded", object_id=body["id"])
    assert entry.after["route"] == "reliance"
    assert entry.after["relies_on"] == str(fda.pk)


def test_the_default_route_is_independent(network: Network, api, reference) -> None:
    tool, _ = reference
    body = {"jurisdiction": "GB", "reference": "UKCA-1", "status": "authorised", "date": "2026-02-01"}

    response = api(network.mhra.publisher).post(_url(tool), body)

    assert response.status_code == 201
    assert (response.json()["route"], response.json()["relies_on"], response.json()["validity"]) == (
        "independent", None, None)


def test_every_change_is_an_authorisation_changed_event_for_every_member(network: Network, api, reference) -> None:
    tool, fda = reference
    created = api(network.hc.publisher).post(_url(tool), _body(fda)).json()
    api(network.fda.publisher).patch(_url(tool, fda), {"reference": "K250202-R"})

    for regulator in network:
        events = events_of(regulator.member, "authorisation.changed")
        assert [(e.object_id, e.payload["reference"]) for e in events][-2:] == [
            (created["id"], "HC-MDL-2026-0101"), (str(fda.pk), "K250202-R"),
        ]
    event = Event.objects.filter(type="authorisation.changed", object_id=created["id"]).get()
    assert event.payload == created  # rendered once: the event carries the authorisation as the API shows it
    assert event.audience_kind == "network"
    assert event.payload["relies_on"]["id"] == str(fda.pk)
    assert event.facets["tools"] == [str(tool.pk)]


def test_repeating_the_current_values_records_no_event(network: Network, api, reference) -> None:
    tool, fda = reference
    before = Event.objects.filter(type="authorisation.changed").count()

    response = api(network.fda.publisher).patch(_url(tool, fda), {"status": "authorised"})

    assert response.status_code == 200
    assert Event.objects.filter(type="authorisation.changed").count() == before


REFUSALS = [
    ("own member", lambda n, t, fda: {"jurisdiction": "US", "relies_on": str(fda.pk)}, "FDA", "relies_on", "own member"),
    ("no reference", lambda n, t, fda: {"relies_on": None}, "HC", "relies_on", "names the reference"),
    ("unknown reference", lambda n, t, fda: {"relies_on": "00000000-0000-4000-8000-000000000000"}, "HC", "relies_on",
     "no authorisation"),
    ("independent naming a reference", lambda n, t, fda: {"route": "independent", "validity": None}, "HC", "relies_on",
     "only a reliance"),
    ("unknown validity", lambda n, t, fda: {"validity": "forever"}, "HC", "validity", None),
    ("unknown route", lambda n, t, fda: {"route": "mutual"}, "HC", "route", None),
]


@pytest.mark.parametrize(("case", "change", "caller", "field", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_route_is_a_400_naming_the_field(
    network: Network, api, reference, case: str, change: Any, caller: str, field: str, words: str | None,
) -> None:
    tool, fda = reference
    fda_tool_other = tool_make(actor=network.fda.publisher)
    if case == "own member":  # FDA's second authorisation of the tool cannot exist: use another tool's slot
        tool = fda_tool_other
        fda = authorization_make(actor=network.fda.publisher, tool=tool)
    client = api(network[caller].publisher)
    counts = row_counts()

    response = client.post(_url(tool), _body(fda, **change(network, tool, fda)))

    body = assert_problem(response, 400)
    assert field in body["errors"], body
    if words:
        assert words in body["detail"], body["detail"]
    assert row_counts() == counts


def test_relying_on_another_tools_authorisation_is_refused(network: Network, api, reference) -> None:
    tool, _ = reference
    other = tool_make(actor=network.fda.publisher)
    elsewhere = authorization_make(actor=network.fda.publisher, tool=other)
    client = api(network.hc.publisher)
    counts = row_counts()

    body = assert_problem(client.post(_url(tool), _body(elsewhere)), 400)

    assert "relies_on" in body["errors"]
    assert "another tool" in body["detail"]
    assert row_counts() == counts


def test_relying_on_a_reliance_authorisation_is_a_reliance_chain(network: Network, api, reliance: Reliance) -> None:
    client = api(network.tga.publisher)
    counts = row_counts()

    body = assert_problem(client.post(_url(reliance.tool), _body(
        reliance.hc, jurisdiction="AU", reference="ARTG-1")), 400)

    assert "relies_on" in body["errors"]
    assert "reliance-chain" in body["detail"]
    assert body["code"] == "reliance-chain"
    assert row_counts() == counts


def test_a_relied_on_authorisation_cannot_itself_become_reliant(network: Network, api, reliance: Reliance) -> None:
    tga = authorization_make(actor=network.tga.publisher, tool=reliance.tool)

    body = assert_problem(api(network.fda.publisher).patch(_url(reliance.tool, reliance.fda), {
        "route": "reliance", "relies_on": str(tga.pk)}), 400)

    assert body["code"] == "reliance-chain"
    assert Authorization.objects.get(pk=reliance.fda.pk).route == "independent"


@pytest.mark.parametrize("status", ["suspended", "withdrawn"])
def test_relying_on_a_suspended_or_withdrawn_authorisation_is_refused(network: Network, api, reference, status) -> None:
    tool, fda = reference
    api(network.fda.publisher).patch(_url(tool, fda), {"status": status})
    client = api(network.hc.publisher)
    counts = row_counts()

    body = assert_problem(client.post(_url(tool), _body(fda)), 400)

    assert "relies_on" in body["errors"]
    assert status in body["detail"]
    assert row_counts() == counts


def test_the_status_of_another_members_authorisation_is_not_theirs_to_change(network: Network, api, reliance) -> None:
    response = api(network.hc.publisher).patch(_url(reliance.tool, reliance.fda), {"status": "suspended"})

    assert_problem(response, 403)
    assert Authorization.objects.get(pk=reliance.fda.pk).status == "authorised"


def test_existing_authorisations_are_independent(network: Network, reference) -> None:
    _, fda = reference
    assert (fda.route, fda.relies_on_id, fda.validity) == ("independent", None, None)
