"""POST /api/v1/signals/{id}/draft-alert/: a draft alert built on the evidence, distributed no wider than it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Alert, Report, Signal, Tool
from alerts.services.signals import signals_evaluate
from tests.alerts.reports.conftest import SIGNALS_URL, counts
from tests.helpers import ApiCaller, assert_problem, row_counts


def draft_url(signal: Signal) -> str:
    return f"{SIGNALS_URL}{signal.pk}/draft-alert/"


def signal_on(
    tool: Tool, make_report: Callable[..., Report], *reports: tuple[str, dict[str, Any]]
) -> Signal:
    """Publish the given (member code, overrides) reports, evaluate, and return the signal resting on all of them.

    (Members that see only some of the reports get their own signal, on what they see.)
    """
    made = {make_report(code, **{"subgroups": [], "metrics": [counts("sensitivity", 800, 1000)], **overrides}).pk
            for code, overrides in reports}
    signals_evaluate(tool_id=tool.pk)
    [signal] = [s for s in Signal.objects.filter(tool=tool, status="open").prefetch_related("reports")
                if {r.pk for r in s.reports.all()} == made]
    return signal


def test_network_evidence_gives_a_network_draft_alert(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    signal = signal_on(tool, make_report, ("MHRA", {}), ("FDA", {"country": "US", "tool_version": "2.2"}))
    response = callers("TGA").post(draft_url(signal))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["publisher"] == "TGA"
    assert body["alert_type"] == "performance_degradation"
    assert body["distribution"] == "network"
    assert body["recipients"] == []
    assert [t["tool"] for t in body["affected_tools"]] == [str(tool.pk)]
    assert body["affected_tools"][0]["versions"] == "2.1, 2.2"
    assert sorted(body["affected_jurisdictions"]) == ["GB", "US"]
    assert "sensitivity" in body["title"]
    assert "0.800" in body["description"]
    assert response["ETag"]
    alert = Alert.objects.get(pk=body["id"])
    assert alert.status == "draft"
    # A draft: nobody else sees it yet.
    assert_problem(callers("MHRA", "viewer").get(f"/api/v1/alerts/{alert.pk}/"), 404)


def test_a_subgroup_signal_drafts_a_bias_or_inequity_alert(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    make_report("MHRA", metrics=[counts("sensitivity", 900, 1000)],
                subgroups=[{"label": "age 70+", "metrics": [counts("sensitivity", 60, 100)]}])
    signals_evaluate(tool_id=tool.pk)
    signal = Signal.objects.get(tool=tool, kind="subgroup_worse")
    body = callers("MHRA").post(draft_url(signal)).json()
    assert body["alert_type"] == "bias_or_inequity"
    assert "age 70+" in body["title"]


def test_restricted_evidence_gives_an_alert_restricted_to_the_evidence_audience(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    signal = signal_on(
        tool, make_report, ("MHRA", {}),
        ("FDA", {"country": "US", "distribution": "restricted", "recipients": ["HC", "TGA"]}),
    )
    response = callers("HC").post(draft_url(signal))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["distribution"] == "restricted"
    assert sorted(body["recipients"]) == ["FDA", "TGA"]  # the evidence audience, less the caller


def test_evidence_only_the_caller_can_see_whole_is_a_conflict(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    signal = signal_on(
        tool, make_report,
        ("FDA", {"country": "US", "distribution": "restricted", "recipients": ["HC"]}),
        ("MHRA", {"distribution": "restricted", "recipients": ["FDA"]}),
    )  # FDA∪HC ∩ MHRA∪FDA: only FDA sees both reports
    fda = callers("FDA")
    before = row_counts()
    assert_problem(fda.post(draft_url(signal)), 409, "conflict")
    assert row_counts() == before


def test_drafting_from_a_signal_needs_the_publish_scope(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    signal = signal_on(tool, make_report, ("MHRA", {}))
    assessor = callers("HC", "assessor")
    before = row_counts()
    assert_problem(assessor.post(draft_url(signal)), 403)
    assert row_counts() == before


@pytest.mark.parametrize("code", ["MHRA", "TGA"])
def test_a_signal_the_caller_cannot_see_is_not_found(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller], code: str
) -> None:
    signal = signal_on(tool, make_report, ("FDA", {"country": "US", "distribution": "restricted", "recipients": ["HC"]}))
    caller = callers(code)
    before = row_counts()
    assert_problem(caller.post(draft_url(signal)), 404)
    assert_problem(caller.post(f"{SIGNALS_URL}00000000-0000-4000-8000-000000000000/draft-alert/"), 404)
    assert row_counts() == before
