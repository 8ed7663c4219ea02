"""Did the fix work? `GET /api/v1/alerts/{id}/fix-check/` (SPEC §10.2, Appendix B)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.fixcheck_selectors import fix_verdict
from alerts.models import Alert, Report, Tool
from alerts.stats import Pooled
from tests.alerts.factories import alert_published_make
from tests.alerts.versions.conftest import counts, register
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller, assert_problem

Callers = Callable[..., ApiCaller]
Measured = Callable[..., Report]


def _alert(network: Network, tool: Tool, **overrides: Any) -> Alert:
    return alert_published_make(actor=network.mhra.publisher, tools=[tool], affected_tools=[
        {"tool": str(tool.pk), "versions": ">=3.2,<3.4", "fixed_in": "3.4.0"}], **overrides)


def _check(caller: ApiCaller, alert: Alert) -> dict[str, Any]:
    response = caller.get(f"/api/v1/alerts/{alert.pk}/fix-check/")
    assert response.status_code == 200, response.json()
    return response.json()


def _metric(answer: dict[str, Any], metric: str) -> dict[str, Any]:
    return next(m for m in answer["metrics"] if m["metric"] == metric)


def test_a_fix_that_worked_is_improved(network: Network, versioned: Tool, measured: Measured,
                                       callers: Callers) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000))
    measured(versioned, "3.3.1", counts("sensitivity", 350, 500), by="FDA")
    measured(versioned, "3.1.0", counts("sensitivity", 100, 1000))  # neither side: not counted
    measured(versioned, "3.4.0", counts("sensitivity", 900, 1000), by="HC")
    alert = _alert(network, versioned)

    answer = _check(callers("SMC", "viewer"), alert)
    assert (answer["alert"], answer["tool"], answer["fixed_in"]) == (str(alert.pk), str(versioned.pk), "3.4.0")
    row = _metric(answer, "sensitivity")
    assert row["lower_is_better"] is False
    assert (row["affected"]["value"], row["affected"]["reports"], row["affected"]["sample"]) == (0.7, 2, 1500)
    assert (row["fixed"]["value"], row["fixed"]["reports"], row["fixed"]["sample"]) == (0.9, 1, 1000)
    assert row["affected"]["ci_low"] < 0.7 < row["affected"]["ci_high"]
    assert row["difference"] == pytest.approx(0.2)
    assert row["verdict"] == "improved"
    by_reference = callers("SMC", "viewer").get(f"/api/v1/alerts/{alert.reference}/fix-check/")
    assert by_reference.json() == answer


def test_a_fix_that_made_no_difference_is_not_improved(network: Network, versioned: Tool, measured: Measured,
                                                       callers: Callers) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000))
    measured(versioned, "3.4.0", counts("sensitivity", 600, 1000), by="FDA")

    assert _metric(_check(callers("HC"), _alert(network, versioned)), "sensitivity")["verdict"] == "not_improved"


def test_too_little_evidence_is_insufficient(network: Network, versioned: Tool, measured: Measured,
                                             callers: Callers) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000), counts("specificity", 800, 1000))
    measured(versioned, "3.4.0", counts("sensitivity", 72, 100), {"metric": "specificity", "value": 0.95},
             by="FDA")
    measured(versioned, "3.3.1", counts("ppv", 40, 100), by="FDA")
    answer = _check(callers("HC"), _alert(network, versioned))

    assert _metric(answer, "sensitivity")["verdict"] == "insufficient_evidence"  # the intervals overlap
    specificity = _metric(answer, "specificity")  # the fixed figure has no interval: it decides nothing
    assert (specificity["fixed"]["ci_low"], specificity["verdict"]) == (None, "insufficient_evidence")
    ppv = _metric(answer, "ppv")  # nothing measured on the fixed side yet
    assert (ppv["fixed"], ppv["difference"], ppv["verdict"]) == (None, None, "insufficient_evidence")


def test_lower_is_better_metrics_improve_downwards(network: Network, measured: Measured, callers: Callers) -> None:
    scribe = tool_make(actor=network.mhra.publisher, name="ClinScribe Notes", clinical_area="general")
    authorization_make(actor=network.mhra.publisher, tool=scribe,
                       baseline=[{"metric": "hallucination_rate", "value": 0.02}])
    register(network, scribe, "3.1.0", "3.2.0", "3.3.1", "3.4.0")
    measured(scribe, "3.2.0", counts("hallucination_rate", 80, 1000), counts("major_error_rate", 10, 1000))
    measured(scribe, "3.4.0", counts("hallucination_rate", 20, 1000), counts("major_error_rate", 60, 1000))
    answer = _check(callers("FDA"), _alert(network, scribe))

    hallucination = _metric(answer, "hallucination_rate")
    assert (hallucination["lower_is_better"], hallucination["verdict"]) == (True, "improved")
    assert hallucination["difference"] == pytest.approx(-0.06)
    assert _metric(answer, "major_error_rate")["verdict"] == "not_improved"


def test_the_verdict_rule_reads_the_metrics_direction() -> None:
    before = Pooled(0.08, 0.065, 0.098, 1, 1000, "counts")
    after = Pooled(0.02, 0.013, 0.031, 1, 1000, "counts")
    assert fix_verdict("hallucination_rate", before, after) == "improved"
    assert fix_verdict("sensitivity", before, after) == "not_improved"
    assert fix_verdict("sensitivity", before, Pooled(0.3, None, None, 1, 0, "mean")) == "insufficient_evidence"


def test_the_fix_check_pools_only_what_the_caller_may_see(network: Network, versioned: Tool, measured: Measured,
                                                          callers: Callers) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000))
    measured(versioned, "3.4.0", counts("sensitivity", 900, 1000), by="FDA")
    alert = _alert(network, versioned)
    before = _check(callers("SMC", "viewer"), alert)

    measured(versioned, "3.4.0", counts("sensitivity", 100, 1000), by="FDA", distribution="restricted",
             recipients=["HC"])

    assert _check(callers("SMC", "viewer"), alert) == before  # a hidden report changes nothing
    assert _metric(_check(callers("HC", "viewer"), alert), "sensitivity")["verdict"] == "not_improved"  # HC sees it


def test_an_alert_the_caller_may_not_see_is_404(network: Network, versioned: Tool, callers: Callers) -> None:
    alert = _alert(network, versioned, distribution="restricted", recipients=["FDA"])
    assert _check(callers("FDA", "viewer"), alert)["fixed_in"] == "3.4.0"
    assert_problem(callers("HC", "viewer").get(f"/api/v1/alerts/{alert.pk}/fix-check/"), 404)
    assert_problem(callers("HC", "viewer").get(f"/api/v1/alerts/{alert.reference}/fix-check/"), 404)
    assert_problem(callers("HC", "viewer").get("/api/v1/alerts/not-a-uuid/fix-check/"), 404)


def test_an_alert_without_fixed_in_has_nothing_to_check(network: Network, versioned: Tool, callers: Callers) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[versioned], affected_tools=[
        {"tool": str(versioned.pk), "versions": ">=3.2"}])
    assert _check(callers("FDA"), alert)["metrics"] == []
