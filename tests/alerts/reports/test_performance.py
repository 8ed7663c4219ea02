"""The pooled performance trend (GET /api/v1/tools/{id}/performance/) pools only what the caller may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Report, Tool
from alerts.services.reports import report_publish
from alerts.stats import wilson_interval
from tests.alerts.reports.conftest import counts, performance_url
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem


def trend(caller: ApiCaller, tool: Tool) -> dict[str, Any]:
    response = caller.get(performance_url(tool))
    assert response.status_code == 200, response.json()
    return response.json()


def metric_of(body: dict[str, Any], metric: str) -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["metric"] == metric)


@pytest.fixture
def mhra_network(make_report: Callable[..., Report]) -> Report:
    """MHRA, to the whole network: sensitivity 80/100, and 30/50 in patients aged 70+ (first half of 2026)."""
    return make_report(
        "MHRA", metrics=[counts("sensitivity", 80, 100)],
        subgroups=[{"label": "age 70+", "dimension": "age band", "metrics": [counts("sensitivity", 30, 50)]}],
    )


@pytest.fixture
def fda_restricted(make_report: Callable[..., Report]) -> Report:
    """FDA, restricted to HC: sensitivity 60/100, and 10/40 aged 70+ (second half of 2026)."""
    return make_report(
        "FDA", country="US", period_start="2026-07-01", period_end="2026-12-31",
        metrics=[counts("sensitivity", 60, 100)],
        subgroups=[{"label": "age 70+", "metrics": [counts("sensitivity", 10, 40)]}],
        distribution="restricted", recipients=["HC"],
    )


def test_a_recipient_pools_both_reports(
    tool: Tool, mhra_network: Report, fda_restricted: Report, callers: Callable[..., ApiCaller]
) -> None:
    body = trend(callers("HC", "viewer"), tool)
    assert body["tool"] == str(tool.pk)
    assert body["reports"] == 2
    sensitivity = metric_of(body, "sensitivity")
    overall = sensitivity["overall"]
    assert overall["value"] == pytest.approx((80 + 60) / (100 + 100))
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(wilson_interval(140, 200))
    assert (overall["reports"], overall["sample"], overall["method"]) == (2, 200, "counts")
    assert [(p["period"], p["value"], p["reports"]) for p in sensitivity["periods"]] == [
        ("2026-H1", pytest.approx(0.8), 1), ("2026-H2", pytest.approx(0.6), 1)
    ]
    assert [(g["label"], g["value"], g["sample"]) for g in sensitivity["subgroups"]] == [
        ("age 70+", pytest.approx(40 / 90), 90)
    ]
    assert sensitivity["baselines"] == [{"jurisdiction": "GB", "value": 0.92}, {"jurisdiction": "US", "value": 0.92}]


@pytest.mark.parametrize("code", ["TGA", "SMC", "MHRA"])
def test_a_member_outside_the_restricted_distribution_pools_only_the_network_report(
    tool: Tool, mhra_network: Report, fda_restricted: Report, callers: Callable[..., ApiCaller], code: str
) -> None:
    body = trend(callers(code, "viewer"), tool)
    assert body["reports"] == 1
    sensitivity = metric_of(body, "sensitivity")
    assert sensitivity["overall"]["value"] == pytest.approx(0.8)
    assert (sensitivity["overall"]["reports"], sensitivity["overall"]["sample"]) == (1, 100)
    assert [p["period"] for p in sensitivity["periods"]] == ["2026-H1"]  # no trace of FDA's period
    assert [(g["value"], g["sample"]) for g in sensitivity["subgroups"]] == [(pytest.approx(0.6), 50)]


def test_the_restricted_publisher_pools_its_own_and_the_network_report(
    tool: Tool, mhra_network: Report, fda_restricted: Report, callers: Callable[..., ApiCaller]
) -> None:
    assert metric_of(trend(callers("FDA", "viewer"), tool), "sensitivity")["overall"]["sample"] == 200


def test_drafts_are_never_pooled_not_even_for_their_publisher(
    tool: Tool, mhra_network: Report, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    make_report("MHRA", publish=False, metrics=[counts("sensitivity", 10, 100)], subgroups=[])
    make_report("FDA", publish=False, country="US", metrics=[counts("sensitivity", 10, 100)], subgroups=[])
    for code in ("MHRA", "FDA"):
        body = trend(callers(code, "viewer"), tool)
        assert body["reports"] == 1
        assert metric_of(body, "sensitivity")["overall"]["sample"] == 100


def test_a_superseded_report_drops_out_once_its_correction_is_published(
    network: Network, tool: Tool, mhra_network: Report, make_report: Callable[..., Report],
    callers: Callable[..., ApiCaller],
) -> None:
    correction = make_report(
        "MHRA", publish=False, metrics=[counts("sensitivity", 90, 100)], subgroups=[],
        supersedes=str(mhra_network.pk), supersede_reason="Twelve cancers were counted twice.",
    )
    tga = callers("TGA", "viewer")
    assert metric_of(trend(tga, tool), "sensitivity")["overall"]["value"] == pytest.approx(0.8)  # not yet

    report_publish(actor=network.mhra.publisher, member=network.mhra.member, report=correction)
    body = trend(tga, tool)
    assert body["reports"] == 1
    sensitivity = metric_of(body, "sensitivity")
    assert sensitivity["overall"]["value"] == pytest.approx(0.9)
    assert sensitivity["subgroups"] == []  # the superseded report's subgroup went with it
    superseded = callers("TGA", "viewer").get(f"/api/v1/reports/{mhra_network.pk}/")
    assert superseded.status_code == 200  # still readable, just no longer pooled


def test_reports_without_counts_pool_by_their_intervals(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    make_report("MHRA", metrics=[{"metric": "auroc", "value": 0.90, "ci_low": 0.88, "ci_high": 0.92}], subgroups=[])
    make_report("FDA", country="US", metrics=[{"metric": "auroc", "value": 0.80, "ci_low": 0.76, "ci_high": 0.84}],
                subgroups=[])
    auroc = metric_of(trend(callers("HC", "viewer"), tool), "auroc")["overall"]
    assert auroc["method"] == "inverse_variance"
    assert auroc["value"] == pytest.approx((0.90 * 4 + 0.80 * 1) / 5)  # weights 1/se², se ∝ half-width
    assert auroc["ci_low"] < auroc["value"] < auroc["ci_high"]


def test_a_tool_without_reports_shows_its_baselines_only(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    body = trend(callers("SMC", "viewer"), tool)
    assert body["reports"] == 0
    assert {m["metric"]: m["overall"] for m in body["metrics"]} == {"sensitivity": None, "specificity": None}


def test_an_unknown_tool_is_404(callers: Callable[..., ApiCaller]) -> None:
    assert_problem(callers("SMC", "viewer").get("/api/v1/tools/00000000-0000-4000-8000-000000000000/performance/"), 404)
    assert_problem(callers("SMC", "viewer").get("/api/v1/tools/not-a-uuid/performance/"), 404)


def test_report_lists_follow_the_same_visibility(
    tool: Tool, mhra_network: Report, fda_restricted: Report, callers: Callable[..., ApiCaller]
) -> None:
    def ids(code: str) -> set[str]:
        response = callers(code, "viewer").get("/api/v1/reports/", {"tool": str(tool.pk)})
        assert response.status_code == 200
        return {r["id"] for r in response.json()["results"]}

    assert ids("HC") == ids("FDA") == {str(mhra_network.pk), str(fda_restricted.pk)}
    assert ids("TGA") == {str(mhra_network.pk)}
    assert_problem(callers("TGA", "viewer").get(f"/api/v1/reports/{fda_restricted.pk}/"), 404)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"published_after": "2000-01-01T00:00:00+16:07"}, True),  # ISO allows offsets PostgreSQL refuses
        ({"published_before": "2000-01-01T00:00:00+16:07"}, False),
    ],
)
def test_published_filters_take_any_iso_instant(
    mhra_network: Report, callers: Callable[..., ApiCaller], query: dict[str, str], found: bool
) -> None:
    response = callers("TGA", "viewer").get("/api/v1/reports/", query)
    assert response.status_code == 200, response.content[:300]
    assert bool(response.json()["results"]) is found


@pytest.mark.parametrize("query", [
    {"published_before": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
    {"published_after": "9999-12-31T23:00:00-05:00"},  # after year 9999 in UTC
])
def test_an_instant_outside_what_the_database_stores_is_a_400_naming_the_filter(
    mhra_network: Report, callers: Callable[..., ApiCaller], query: dict[str, str]
) -> None:
    body = assert_problem(callers("TGA", "viewer").get("/api/v1/reports/", query), 400)
    assert set(query) <= set(body["errors"])
