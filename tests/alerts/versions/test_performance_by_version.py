"""Performance version by version, and signals that see a change (SPEC §10.2).

`tool` declares sensitivity 0.92 in GB and the US; with SIGNAL_MARGIN 0.05 a signal needs the
pooled 95% interval to lie wholly below 0.87.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import Report, Signal, Tool
from alerts.performance_selectors import tool_performance
from alerts.portal.charts import charts_for
from alerts.services.signals import signals_evaluate
from tests.alerts.versions.conftest import counts, register
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller, assert_problem

Callers = Callable[..., ApiCaller]
Measured = Callable[..., Report]


def _half(year: int, half: int) -> dict[str, str]:
    return ({"period_start": f"{year}-01-01", "period_end": f"{year}-06-30"} if half == 1
            else {"period_start": f"{year}-07-01", "period_end": f"{year}-12-31"})


def test_the_gb_drop_after_2_4_1_raises_a_signal_naming_the_version(
    network: Network, tool: Tool, measured: Measured, callers: Callers,
) -> None:
    register(network, tool, "2.3.0", "2.4.1")
    for year, half in ((2024, 2), (2025, 1), (2025, 2)):
        measured(tool, "2.3.0", counts("sensitivity", 9500, 10000), **_half(year, half))
    drop = measured(tool, "2.4.1", {"metric": "sensitivity", "value": 0.775, "ci_low": 0.734, "ci_high": 0.816},
                    sample_size=400, **_half(2026, 1))

    signals_evaluate(tool_id=tool.pk)

    signals = list(Signal.objects.filter(tool=tool))
    assert [(s.version, s.kind, s.metric) for s in signals] == [("2.4.1", "below_baseline", "sensitivity")]
    assert set(signals[0].reports.all()) == {drop}
    listed = callers("HC", "viewer").get("/api/v1/signals/").json()["results"]
    assert [(s["version"], s["kind"]) for s in listed] == [("2.4.1", "below_baseline")]
    assert (listed[0]["pooled_value"], listed[0]["ci_high"]) == pytest.approx((0.775, 0.816))
    overall = tool_performance(tool=tool, member=network.hc.member)["metrics"][0]["overall"]
    assert overall["ci_low"] > 0.9  # the good 2.3 history would have masked it


def test_a_drop_in_the_most_recent_period_raises_a_signal_for_that_period(
    network: Network, tool: Tool, measured: Measured,
) -> None:
    for year, half in ((2024, 2), (2025, 1), (2025, 2)):
        measured(tool, "2.3", counts("sensitivity", 9500, 10000), **_half(year, half))
    measured(tool, "2.3", counts("sensitivity", 300, 400), **_half(2026, 1))

    signals_evaluate(tool_id=tool.pk)

    assert [(s.version, s.period) for s in Signal.objects.filter(tool=tool)] == [(None, "2026-H1")]


def test_a_figure_without_an_interval_is_never_credibly_worse(network: Network, tool: Tool, measured: Measured) -> None:
    measured(tool, "2.3", {"metric": "sensitivity", "value": 0.41}, sample_size=5)

    assert signals_evaluate(tool_id=tool.pk)["raised"] == 0
    charts = charts_for(tool_performance(tool=tool, member=network.fda.member), own_jurisdiction="US")
    [chart] = [c for c in charts if c.metric == "sensitivity"]
    [point] = chart.points
    assert (point.worse, point.judged) == (False, False)
    assert "credibly worse" not in chart.description
    assert "not enough to judge" in chart.description


def test_the_trend_answers_per_version_and_narrows_to_one(
    network: Network, versioned: Tool, measured: Measured, callers: Callers,
) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000))
    measured(versioned, "3.4.0", counts("sensitivity", 900, 1000), by="FDA")
    measured(versioned, "3.4.0", counts("sensitivity", 450, 500), by="HC")
    url = f"/api/v1/tools/{versioned.pk}/performance/"

    answer = callers("SMC", "viewer").get(url).json()
    assert answer["reports"] == 3
    assert [v["version"] for v in answer["by_version"]] == ["3.2.0", "3.4.0"]
    fixed = answer["by_version"][1]["metrics"][0]["overall"]
    assert (fixed["value"], fixed["reports"], fixed["sample"]) == (0.9, 2, 1500)

    narrowed = callers("SMC", "viewer").get(url, {"version": "3.4"}).json()
    assert (narrowed["version"], narrowed["reports"]) == ("3.4.0", 2)
    assert narrowed["metrics"][0]["overall"]["value"] == 0.9
    refused = assert_problem(callers("SMC", "viewer").get(url, {"version": "9.9"}), 400)
    assert refused["known_versions"] == ["3.1.0", "3.2.0", "3.3.1", "3.4.0"]

    charts = charts_for(answer)
    assert [m["label"] for m in charts[0].version_marks] == ["3.2.0", "3.4.0"]
    assert charts[0].path.count("M") == 2  # no line joins points across a version change


def test_a_hidden_report_never_changes_a_by_version_figure(
    network: Network, versioned: Tool, measured: Measured, callers: Callers,
) -> None:
    measured(versioned, "3.2.0", counts("sensitivity", 700, 1000))
    url = f"/api/v1/tools/{versioned.pk}/performance/"
    before = callers("SMC", "viewer").get(url).json()

    measured(versioned, "3.2.0", counts("sensitivity", 100, 1000), by="FDA", distribution="restricted",
             recipients=["HC"])
    measured(versioned, "3.4.0", counts("sensitivity", 100, 1000), by="FDA", distribution="restricted",
             recipients=["HC"])

    assert callers("SMC", "viewer").get(url).json() == before
    assert len(callers("HC", "viewer").get(url).json()["by_version"]) == 2


def test_lower_is_better_metrics_rise_to_a_signal_and_say_their_direction(
    network: Network, measured: Measured,
) -> None:
    scribe = tool_make(actor=network.mhra.publisher, name="ClinScribe Notes", clinical_area="general")
    authorization_make(actor=network.mhra.publisher, tool=scribe,
                       baseline=[{"metric": "hallucination_rate", "value": 0.02},
                                 {"metric": "omission_rate", "value": 0.05}])
    measured(scribe, "1.0", counts("hallucination_rate", 150, 1000), counts("omission_rate", 20, 1000))

    signals_evaluate(tool_id=scribe.pk)

    assert [(s.metric, s.kind) for s in Signal.objects.filter(tool=scribe)] == [("hallucination_rate", "below_baseline")]
    trend = {m["metric"]: m for m in tool_performance(tool=scribe, member=network.hc.member)["metrics"]}
    assert trend["hallucination_rate"]["lower_is_better"] is True
    charts = {c.metric: c for c in charts_for(tool_performance(tool=scribe, member=network.hc.member))}
    assert charts["hallucination_rate"].points[0].worse
    assert not charts["omission_rate"].points[0].worse
