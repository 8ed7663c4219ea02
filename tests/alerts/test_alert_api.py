"""The alerts collection: filters, bad input (400 naming the field, nothing written), shapes, paging."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, Tool
from alerts.services.alerts import alert_close, alert_withdraw
from tests.alerts.factories import (
    alert_amended_make,
    alert_draft_make,
    alert_payload,
    alert_published_make,
)
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts


@pytest.fixture
def catalogue(network: Network, tool: Tool, other_tool: Tool) -> dict[str, Alert]:
    """Five alerts that differ in every filtered field, published in this order: a1, a2, a3, a5."""
    a1 = alert_published_make(actor=network.mhra.publisher, tools=[tool], alert_type="performance_degradation",
                              severity="high", affected_jurisdictions=["GB", "US"])
    a2 = alert_published_make(actor=network.fda.publisher, tools=[other_tool], alert_type="cybersecurity",
                              severity="critical", affected_jurisdictions=["US"], distribution="public")
    a3 = alert_published_make(actor=network.hc.publisher, tools=[tool], alert_type="recall", severity="low",
                              affected_jurisdictions=["CA"])
    a3 = alert_close(actor=network.hc.publisher, alert=a3, resolution="All units updated.")
    a4 = alert_draft_make(actor=network.mhra.publisher, tools=[tool], alert_type="software_defect",
                          severity="medium", affected_jurisdictions=["GB"])
    a5 = alert_published_make(actor=network.tga.publisher, tools=[other_tool], alert_type="bias_or_inequity",
                              severity="medium", affected_jurisdictions=["AU"])
    a5 = alert_withdraw(actor=network.tga.publisher, alert=a5, reason="Issued in error.")
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4, "a5": a5}


@pytest.fixture
def mhra(network: Network, api: Any) -> ApiCaller:
    caller: ApiCaller = api(network.mhra.viewer)
    return caller


def _names(catalogue: dict[str, Alert], response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    by_id = {str(alert.pk): name for name, alert in catalogue.items()}
    return {by_id[item["id"]] for item in response.json()["results"]}


# --- filters -------------------------------------------------------------------------------------

FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"a1", "a2", "a3", "a4", "a5"}),
    ({"status": "published"}, {"a1", "a2"}),
    ({"status": "closed"}, {"a3"}),
    ({"status": "withdrawn"}, {"a5"}),
    ({"status": "draft"}, {"a4"}),
    ({"status": ["published", "closed"]}, {"a1", "a2", "a3"}),
    ({"alert_type": "cybersecurity"}, {"a2"}),
    ({"alert_type": ["recall", "bias_or_inequity"]}, {"a3", "a5"}),
    ({"severity": "medium"}, {"a4", "a5"}),
    ({"severity": ["high", "critical"]}, {"a1", "a2"}),
    ({"publisher": "FDA"}, {"a2"}),
    ({"publisher": "mhra"}, {"a1", "a4"}),
    ({"jurisdiction": "US"}, {"a1", "a2"}),
    ({"jurisdiction": "ca"}, {"a3"}),
    ({"jurisdiction": "JP"}, set()),
    ({"distribution": "public"}, {"a2"}),
    ({"status": "published", "severity": "critical"}, {"a2"}),
]


def test_filters(catalogue: dict[str, Alert], mhra: ApiCaller) -> None:
    for query, expected in FILTER_CASES:
        assert _names(catalogue, mhra.get("/api/v1/alerts/", query)) == expected, query


def test_filter_by_tool(catalogue: dict[str, Alert], mhra: ApiCaller, tool: Tool, other_tool: Tool) -> None:
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"tool": str(tool.pk)})) == {"a1", "a3", "a4"}
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"tool": str(other_tool.pk)})) == {"a2", "a5"}
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"tool": str(uuid.uuid4())})) == set()


def test_filter_by_publication_time(catalogue: dict[str, Alert], mhra: ApiCaller) -> None:
    def at(name: str) -> str:
        published_at = catalogue[name].published_at
        assert published_at is not None
        return published_at.isoformat()

    # published_after is inclusive, published_before exclusive; a draft has no publication time.
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"published_after": at("a2")})) == {"a2", "a3", "a5"}
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"published_before": at("a2")})) == {"a1"}
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"published_after": at("a1"),
                                                          "published_before": at("a3")})) == {"a1", "a2"}
    assert _names(catalogue, mhra.get("/api/v1/alerts/", {"published_after": "2000-01-01T00:00:00Z"})) == {
        "a1", "a2", "a3", "a5"}


def test_filters_apply_to_counts(catalogue: dict[str, Alert], mhra: ApiCaller) -> None:
    body = mhra.get("/api/v1/alerts/counts/", {"severity": "medium"}).json()

    assert body["total"] == 2
    assert body["by_status"] == {"draft": 1, "withdrawn": 1}
    assert body["by_type"] == {"software_defect": 1, "bias_or_inequity": 1}


INVALID_FILTERS: list[tuple[str, str]] = [
    ("status", "bogus"),
    ("alert_type", "rumour"),
    ("severity", "extreme"),
    ("tool", "not-a-uuid"),
    ("published_after", "yesterday"),
    ("published_before", "2026-13-45T00:00:00Z"),
    ("distribution", "everyone"),
]


def test_an_invalid_filter_value_is_a_400_problem(catalogue: dict[str, Alert], mhra: ApiCaller) -> None:
    for param, value in INVALID_FILTERS:
        for path in ("/api/v1/alerts/", "/api/v1/alerts/counts/"):
            body = assert_problem(mhra.get(path, {param: value}), 400, "validation-error")
            assert param in body["errors"], (path, param)
            assert body["detail"].startswith(param)


# --- bad input -----------------------------------------------------------------------------------

BAD_INPUT: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("unknown alert_type", lambda b: b.update(alert_type="rumour"), "alert_type"),
    ("unknown severity", lambda b: b.update(severity="apocalyptic"), "severity"),
    ("title over 300 characters", lambda b: b.update(title="x" * 301), "title"),
    ("blank title", lambda b: b.update(title=""), "title"),
    ("no title", lambda b: b.pop("title"), "title"),
    ("unknown tool id", lambda b: b.update(affected_tools=[{"tool": str(uuid.uuid4())}]), "affected_tools"),
    ("tool id not a uuid", lambda b: b.update(affected_tools=[{"tool": "LungScan"}]), "affected_tools"),
    ("no tools", lambda b: b.update(affected_tools=[]), "affected_tools"),
    ("the same tool twice", lambda b: b.update(affected_tools=b["affected_tools"] * 2), "affected_tools"),
    ("unknown recipient code", lambda b: b.update(distribution="restricted", recipients=["FDA", "XYZ"]),
     "recipients"),
    ("recipients with a network distribution", lambda b: b.update(distribution="network", recipients=["FDA"]),
     "recipients"),
    ("recipients with a public distribution", lambda b: b.update(distribution="public", recipients=["HC"]),
     "recipients"),
    ("restricted without recipients", lambda b: b.update(distribution="restricted", recipients=[]), "recipients"),
    ("restricted to itself only", lambda b: b.update(distribution="restricted", recipients=["MHRA"]), "recipients"),
    ("unknown distribution", lambda b: b.update(distribution="galaxy"), "distribution"),
    ("bad jurisdiction code", lambda b: b.update(affected_jurisdictions=["GB", "ZZ"]), "affected_jurisdictions"),
    ("three-letter jurisdiction", lambda b: b.update(affected_jurisdictions=["GBR"]), "affected_jurisdictions"),
    ("bad IMDRF code", lambda b: b.update(imdrf_codes=["Q12"]), "imdrf_codes"),
    ("IMDRF code with a suffix", lambda b: b.update(imdrf_codes=["A0901X"]), "imdrf_codes"),
    ("jurisdictions not a list", lambda b: b.update(affected_jurisdictions="GB"), "affected_jurisdictions"),
]


def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    before = row_counts()

    for case, mutate, field in BAD_INPUT:
        body = alert_payload(tools=[tool])
        mutate(body)

        response = caller.post("/api/v1/alerts/", body)

        problem = assert_problem(response, 400, "validation-error")
        assert field in problem["errors"], (case, problem)
        assert problem["detail"].startswith(field), (case, problem["detail"])
        assert row_counts() == before, case


def test_malformed_json_is_a_400_and_writes_nothing(network: Network, api: Any) -> None:
    caller = api(network.mhra.publisher)
    before = row_counts()

    for raw in ('{"title": "Missed nodules", ', "not json at all", "[1, 2, 3]", ""):
        response = caller.post("/api/v1/alerts/", raw, content_type="application/json")

        assert_problem(response, 400)
        assert row_counts() == before, raw


def test_a_bad_amendment_writes_nothing(network: Network, api: Any, tool: Tool) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.publisher)
    before = row_counts()

    for change, field in (
        ({"affected_tools": [{"tool": str(uuid.uuid4())}]}, "affected_tools"),
        ({"imdrf_codes": ["Z1"]}, "imdrf_codes"),
        ({"title": "x" * 301}, "title"),
        ({"recipients": ["FDA"]}, "recipients"),
        ({"distribution": "restricted", "recipients": ["NOPE"]}, "distribution"),
        ({"summary": "Clarified."}, "change_summary"),
    ):
        body = {"change_summary": "Update.", **change} if field != "change_summary" else change
        problem = assert_problem(caller.post(f"/api/v1/alerts/{alert.pk}/amend/", body, HTTP_IF_MATCH=alert.etag),
                                 400, "validation-error")
        assert field in problem["errors"], problem

    assert row_counts() == before
    assert caller.get(f"/api/v1/alerts/{alert.pk}/")["ETag"] == alert.etag


def test_a_bad_draft_edit_writes_nothing(network: Network, api: Any, tool: Tool) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.publisher)
    before = row_counts()

    for change, field in (
        ({"affected_tools": [{"tool": str(uuid.uuid4())}]}, "affected_tools"),
        ({"distribution": "restricted"}, "recipients"),
        ({"alert_type": "rumour"}, "alert_type"),
    ):
        problem = assert_problem(caller.patch(f"/api/v1/alerts/{draft.pk}/", change), 400, "validation-error")
        assert field in problem["errors"], problem

    assert row_counts() == before
    stored = Alert.objects.get(pk=draft.pk)
    assert (stored.version, stored.distribution, stored.alert_type) == (1, "network", "performance_degradation")


# --- shapes and paging ---------------------------------------------------------------------------


def test_an_alert_reads_back_as_drafted(network: Network, api: Any, tool: Tool) -> None:
    payload = alert_payload(tools=[tool], distribution="restricted", recipients=["hc", "FDA"],
                            affected_jurisdictions=["us", "GB"])

    body = api(network.mhra.publisher).post("/api/v1/alerts/", payload).json()

    for field in ("title", "summary", "description", "alert_type", "severity", "hazard", "recommended_actions",
                  "imdrf_codes", "publisher_reference", "distribution"):
        assert body[field] == payload[field], field
    assert body["recipients"] == ["FDA", "HC"]
    assert body["affected_jurisdictions"] == ["GB", "US"]
    assert body["affected_tools"] == [{"tool": str(tool.pk), "name": tool.name, "manufacturer": tool.manufacturer,
                                       "versions": ">=2.0,<2.4", "fixed_in": None, "affected_versions": [],
                                       "versions_note": ""}]
    assert {"id", "reference", "status", "revision", "publisher", "created_at", "published_at",
            "updated_at"} <= set(body)


def test_the_list_is_paginated_with_cursors(network: Network, api: Any, tool: Tool) -> None:
    made = {str(alert_published_make(actor=network.mhra.publisher, tools=[tool]).pk) for _ in range(3)}
    caller = api(network.hc.viewer)

    first = caller.get("/api/v1/alerts/", {"limit": 2}).json()
    assert set(first) >= {"next", "previous", "results"}
    assert len(first["results"]) == 2
    assert first["next"]
    second = caller.get(first["next"]).json()

    assert {item["id"] for item in first["results"] + second["results"]} == made
    assert second["next"] is None
    assert caller.get("/api/v1/alerts/", {"limit": 100000}).status_code == 200


def test_listing_costs_the_same_queries_whatever_the_page_size(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.fda.viewer)
    alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted", recipients=["FDA"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert caller.get("/api/v1/alerts/").status_code == 200
        return len(captured)

    queries()  # the token's first use records it; count from the second request on
    few = queries()
    for _ in range(4):
        alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                     recipients=["FDA", "HC"], affected_jurisdictions=["GB", "US", "CA"])
        alert_amended_make(actor=network.mhra.publisher, alert=alert)
    assert queries() == few


def test_the_same_idempotency_key_replays_the_first_draft(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    payload = alert_payload(tools=[tool])

    first = caller.post("/api/v1/alerts/", payload, HTTP_IDEMPOTENCY_KEY="draft-0001")
    second = caller.post("/api/v1/alerts/", payload, HTTP_IDEMPOTENCY_KEY="draft-0001")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert Alert.objects.filter(publisher=network.mhra.member).count() == 1
