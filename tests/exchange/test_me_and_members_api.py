"""GET /api/v1/me/ and the members collection."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from exchange.services.members import member_update
from tests.factories import ROLES, Network
from tests.helpers import assert_problem

ROLE_SCOPES = {
    "viewer": ["read"],
    "assessor": ["read", "acknowledge", "draft"],
    "publisher": ["read", "acknowledge", "draft", "publish"],
    "admin": ["read", "acknowledge", "draft", "publish", "admin"],
}


@pytest.mark.parametrize("role", ROLES)
def test_me_describes_the_caller_and_its_member(network: Network, api, role: str) -> None:
    user = network.hc.users[role]

    response = api(user).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == f"{role}@hc.test"
    assert body["role"] == role
    assert body["scopes"] == ROLE_SCOPES[role]
    assert body["member"] == {"code": "HC", "name": "Health Canada", "country": "CA"}


def test_me_shows_the_tokens_scopes_not_the_roles(network: Network, api) -> None:
    body = api(network.mhra.admin, scopes=["read", "draft"]).get("/api/v1/me/").json()

    assert body["role"] == "admin"
    assert body["scopes"] == ["read", "draft"]


def test_me_for_network_staff_in_a_session_has_no_member(network: Network) -> None:
    client = APIClient()
    client.force_login(network.staff)

    body = client.get("/api/v1/me/").json()

    assert body["email"] == "secretariat@network.test"
    assert body["member"] is None
    assert body["role"] is None


def test_members_list_shows_every_regulator(network: Network, api) -> None:
    response = api(network.tga.viewer).get("/api/v1/members/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"next", "previous", "results"}
    assert [(m["code"], m["country"]) for m in body["results"]] == [
        ("FDA", "US"), ("HC", "CA"), ("MHRA", "GB"), ("SMC", "CH"), ("TGA", "AU"),
    ]
    assert body["results"][0] == {
        "code": "FDA", "name": "U.S. Food and Drug Administration", "country": "US", "status": "active",
    }


def test_members_list_filters_and_searches(network: Network, api) -> None:
    caller = api(network.tga.viewer)

    by_country = caller.get("/api/v1/members/", {"country": "ch"}).json()["results"]
    by_text = caller.get("/api/v1/members/", {"search": "canada"}).json()["results"]

    assert [m["code"] for m in by_country] == ["SMC"]
    assert [m["code"] for m in by_text] == ["HC"]


def test_members_list_shows_a_suspended_member_as_suspended(network: Network, api) -> None:
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    results = api(network.mhra.viewer).get("/api/v1/members/", {"status": "suspended"}).json()["results"]

    assert [(m["code"], m["status"]) for m in results] == [("SMC", "suspended")]


@pytest.mark.parametrize("code", ["FDA", "fda"])
def test_member_detail_by_code(network: Network, api, code: str) -> None:
    response = api(network.mhra.viewer).get(f"/api/v1/members/{code}/")

    assert response.status_code == 200
    assert response.json()["code"] == "FDA"


def test_unknown_member_is_a_404_problem(network: Network, api) -> None:
    body = assert_problem(api(network.mhra.viewer).get("/api/v1/members/NOPE/"), 404, "not-found")

    assert "NOPE" in body["detail"]


def test_members_are_read_only(network: Network, api) -> None:
    response = api(network.mhra.admin).post("/api/v1/members/", {"code": "EMA", "name": "x", "country": "EU"})

    assert_problem(response, 405, "method-not-allowed")
