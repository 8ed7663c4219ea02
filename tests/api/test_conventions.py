"""REST conventions (SPEC §6): problem+json errors, bad input writes nothing, cursor pagination."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from exchange.services.members import member_create
from tests.factories import Network, tool_make, unique
from tests.helpers import ApiCaller, assert_problem, row_counts

TOOL = {"name": "LungScan AI", "manufacturer": "Acme Imaging Ltd", "clinical_area": "radiology"}
AUTHORIZATION = {"jurisdiction": "GB", "reference": "UKCA-1", "status": "authorised", "date": "2025-03-01"}


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/tools/", b'{"name": "LungScan AI",'),
        ("/api/v1/tools/", b"\xff\xfe not even text"),
        ("/api/v1/users/", b'{"email": "x@mhra.test" "role": "viewer"}'),
        ("/api/v1/tokens/", b"[1, 2"),
    ],
)
def test_malformed_json_is_a_400_problem_and_writes_nothing(network: Network, api, path: str, raw: bytes) -> None:
    caller = api(network.mhra.admin)
    counts = row_counts()

    response = caller.post(path, raw, content_type="application/json")

    body = assert_problem(response, 400, "malformed-request")
    assert body["type"].endswith("/problems/malformed-request")
    assert row_counts() == counts


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/api/v1/tools/", {**TOOL, "name": ["LungScan"]}, "name"),
        ("/api/v1/tools/", {**TOOL, "identifiers": "K231234"}, "identifiers"),
        ("/api/v1/tools/", {**TOOL, "identifiers": [{"system": "fda-510k"}]}, "identifiers"),
        ("/api/v1/tools/", {**TOOL, "clinical_area": "astrology"}, "clinical_area"),
        ("/api/v1/tools/", {**TOOL, "name": "x" * 201}, "name"),
        ("/api/v1/tools/", {**TOOL, "manufacturer": "m" * 201}, "manufacturer"),
        ("/api/v1/tools/", {**TOOL, "name": "   "}, "name"),
        ("/api/v1/tools/", {"name": "No manufacturer", "clinical_area": "radiology"}, "manufacturer"),
        ("/api/v1/tools/", [TOOL], "non_field_errors"),
        ("/api/v1/users/", {"email": "not-an-email", "role": "viewer"}, "email"),
        ("/api/v1/users/", {"email": "x@mhra.test", "role": "overlord"}, "role"),
        ("/api/v1/users/", {"email": "x@mhra.test", "role": "viewer", "full_name": "n" * 201}, "full_name"),
        ("/api/v1/tokens/", {"name": "t" * 101}, "name"),
        ("/api/v1/tokens/", {"scopes": "read"}, "scopes"),
        ("/api/v1/tokens/", {"expires_days": "soon"}, "expires_days"),
    ],
)
def test_invalid_fields_are_a_400_naming_the_field_and_write_nothing(
    network: Network, api, path: str, payload: Any, field: str
) -> None:
    caller = api(network.mhra.admin)
    counts = row_counts()

    response = caller.post(path, payload)

    body = assert_problem(response, 400, "validation-error")
    assert field in body["errors"], body
    assert body["detail"]
    assert row_counts() == counts


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**AUTHORIZATION, "jurisdiction": "GBR"}, "jurisdiction"),
        ({**AUTHORIZATION, "jurisdiction": "G1"}, "jurisdiction"),
        ({**AUTHORIZATION, "status": "pending"}, "status"),
        ({**AUTHORIZATION, "date": "first of March"}, "date"),
        ({**AUTHORIZATION, "reference": "r" * 101}, "reference"),
        ({**AUTHORIZATION, "baseline": {"metric": "sensitivity"}}, "baseline"),
    ],
)
def test_invalid_authorisations_are_a_400_and_write_nothing(network: Network, api, payload: Any, field: str) -> None:
    tool = tool_make(actor=network.mhra.publisher)
    caller = api(network.mhra.publisher)
    counts = row_counts()

    response = caller.post(f"/api/v1/tools/{tool.pk}/authorizations/", payload)

    body = assert_problem(response, 400, "validation-error")
    assert field in body["errors"]
    assert row_counts() == counts


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", "name=LungScan"),
        ("application/x-www-form-urlencoded", "name=LungScan&manufacturer=Acme&clinical_area=radiology"),
        ("application/xml", "<tool><name>LungScan</name></tool>"),
    ],
)
def test_a_body_that_is_not_json_is_415(network: Network, api, content_type: str, data: str) -> None:
    caller = api(network.mhra.publisher)
    counts = row_counts()

    response = caller.post("/api/v1/tools/", data, content_type=content_type)

    assert_problem(response, 415, "unsupported-media-type")
    assert row_counts() == counts


def test_a_patch_that_is_not_json_is_415(network: Network, api) -> None:
    tool = tool_make(actor=network.mhra.publisher)
    caller = api(network.mhra.publisher)

    response = caller.patch(f"/api/v1/tools/{tool.pk}/", "name=Renamed", content_type="text/plain")

    assert_problem(response, 415, "unsupported-media-type")
    tool.refresh_from_db()
    assert tool.name != "Renamed"


def test_asking_for_a_format_the_api_does_not_serve_is_406(network: Network, api) -> None:
    assert_problem(api(network.mhra.viewer).get("/api/v1/tools/", HTTP_ACCEPT="text/csv"), 406, "not-acceptable")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/tokens/not-a-uuid/",
        "/api/v1/users/abc/",
        "/api/v1/tools/not-a-uuid/authorizations/",
        "/api/v1/tools/00000000-0000-0000-0000-000000000000/authorizations/not-a-uuid/",
    ],
)
def test_unknown_paths_and_malformed_ids_are_404_problems(network: Network, api, path: str) -> None:
    assert_problem(api(network.mhra.admin).get(path), 404, "not-found")


def test_a_method_a_resource_does_not_have_is_405(network: Network, api) -> None:
    tool = tool_make(actor=network.mhra.publisher)

    response = api(network.mhra.admin).delete(f"/api/v1/tools/{tool.pk}/")

    assert_problem(response, 405, "method-not-allowed")


@pytest.mark.parametrize("path", ["/api/v1/tools/", "/api/v1/tokens/", "/api/v1/users/", "/api/v1/members/"])
def test_options_describes_a_collection(network: Network, api, path: str) -> None:
    response = api(network.mhra.admin).options(path)

    assert response.status_code == 200
    assert response.json()["parses"] == ["application/json"]


def test_options_shows_only_the_methods_the_caller_may_use(network: Network, api) -> None:
    admin = api(network.mhra.admin).options("/api/v1/tokens/").json()
    viewer = api(network.mhra.viewer).options("/api/v1/tools/").json()

    assert "POST" in admin["actions"]
    assert "actions" not in viewer  # a viewer may not register tools


def test_problem_types_are_documented(network: Network, anon: ApiCaller) -> None:
    types = {p["type"] for p in anon.get("/problems/").json()["problem_types"]}

    assert {"/problems/malformed-request", "/problems/validation-error", "/problems/rate-limited"} <= types


# --- Pagination --------------------------------------------------------------------------------------


def test_lists_are_cursor_paginated_without_gaps_or_repeats(network: Network, api) -> None:
    for _ in range(7):
        tool_make(actor=network.mhra.publisher)
    caller = api(network.mhra.viewer)

    seen: list[str] = []
    page = caller.get("/api/v1/tools/", {"limit": 3}).json()
    pages = 1
    while True:
        assert set(page) >= {"next", "previous", "results"}
        seen.extend(tool["id"] for tool in page["results"])
        if page["next"] is None:
            break
        page = caller.get(page["next"]).json()
        pages += 1
        assert page["previous"] is not None

    assert pages == 3
    assert len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize("cursor", ["garbage", "bz1ub3RhbnVtYmVy", "cj1tYXliZQ=="])  # o=notanumber, r=maybe
def test_an_invalid_cursor_is_a_400(network: Network, api, cursor: str) -> None:
    body = assert_problem(api(network.mhra.viewer).get("/api/v1/members/", {"cursor": cursor}), 400)

    assert "cursor" in body["errors"]


def test_a_limit_above_the_maximum_is_clamped(network: Network, api) -> None:
    maximum = settings.API_MAX_PAGE_SIZE
    for _ in range(maximum):  # with the five regulators: five more than fit on one page
        member_create(actor=None, code=unique("Z"), name="Regulator", country="NZ")
    caller = api(network.mhra.viewer)

    body = caller.get("/api/v1/members/", {"limit": 100000}).json()

    assert len(body["results"]) == maximum
    assert body["next"] is not None
    assert len(caller.get(body["next"]).json()["results"]) == 5


@pytest.mark.parametrize("limit", ["0", "-1", "many", "2.5", "null"])
def test_a_limit_that_is_not_a_positive_whole_number_is_a_400(network: Network, api, limit: str) -> None:
    body = assert_problem(api(network.mhra.viewer).get("/api/v1/members/", {"limit": limit}), 400, "validation-error")

    assert "limit" in body["errors"]


def test_the_documented_maximum_is_in_the_schema(anon: ApiCaller) -> None:
    schema = anon.get("/api/schema/", {"format": "json"}).json()

    limit = next(p for p in schema["paths"]["/api/v1/tools/"]["get"]["parameters"] if p["name"] == "limit")
    assert str(settings.API_MAX_PAGE_SIZE) in limit["description"]
