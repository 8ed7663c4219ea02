"""Wilson score intervals against published values, and pooling of measurements."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import Tool
from alerts.stats import Measurement, pool, wilson_interval
from tests.alerts.reports.conftest import REPORTS_URL, report_payload
from tests.helpers import ApiCaller

# 95% Wilson score intervals (no continuity correction). The first three are the brief's reference
# values; the last four are Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3.
KNOWN = [
    (81, 100, 0.7222, 0.8749),
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize(("numerator", "denominator", "low", "high"), KNOWN)
def test_wilson_interval_matches_published_values(numerator: int, denominator: int, low: float, high: float) -> None:
    got_low, got_high = wilson_interval(numerator, denominator)
    assert round(got_low, 4) == low
    assert round(got_high, 4) == high


@pytest.mark.parametrize(("numerator", "denominator"), [(5, 0), (-1, 10), (11, 10)])
def test_wilson_interval_refuses_impossible_counts(numerator: int, denominator: int) -> None:
    with pytest.raises(ValueError, match="numerator"):
        wilson_interval(numerator, denominator)


@pytest.mark.parametrize(("numerator", "denominator", "low", "high"), KNOWN[:3])
def test_a_report_with_counts_and_no_interval_gets_the_wilson_interval(
    tool: Tool, callers: Callable[..., ApiCaller], numerator: int, denominator: int, low: float, high: float
) -> None:
    metric = {"metric": "sensitivity", "value": round(numerator / denominator, 4), "numerator": numerator,
              "denominator": denominator}
    response = callers("MHRA").post(REPORTS_URL, report_payload(tool, metrics=[metric], subgroups=[]))
    assert response.status_code == 201, response.json()
    stored = response.json()["metrics"][0]
    assert stored["ci_method"] == "wilson"
    assert (round(stored["ci_low"], 4), round(stored["ci_high"], 4)) == (low, high)


def test_a_reported_interval_is_kept_as_given(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    metric = {"metric": "sensitivity", "value": 0.81, "ci_low": 0.70, "ci_high": 0.90, "numerator": 81,
              "denominator": 100}
    response = callers("MHRA").post(REPORTS_URL, report_payload(tool, metrics=[metric], subgroups=[]))
    stored = response.json()["metrics"][0]
    assert (stored["ci_method"], stored["ci_low"], stored["ci_high"]) == ("reported", 0.70, 0.90)


def test_a_metric_without_counts_or_interval_has_no_interval(tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    metric = {"metric": "auroc", "value": 0.91}
    response = callers("MHRA").post(REPORTS_URL, report_payload(tool, metrics=[metric], subgroups=[]))
    stored = response.json()["metrics"][0]
    assert (stored["ci_method"], stored["ci_low"], stored["ci_high"]) == ("", None, None)


def test_pooling_counts_sums_numerators_and_denominators() -> None:
    pooled = pool([Measurement(0.8, numerator=80, denominator=100), Measurement(0.6, numerator=60, denominator=100)])
    assert pooled is not None
    assert pooled.method == "counts"
    assert pooled.value == pytest.approx(140 / 200)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx(wilson_interval(140, 200))
    assert (pooled.n_reports, pooled.sample) == (2, 200)


def test_pooling_intervals_weights_by_inverse_variance() -> None:
    # Standard errors 0.01 and 0.02 (95% half-widths 1.96 times that): weights 10,000 and 2,500.
    z = 1.959963984540054
    pooled = pool([Measurement(0.90, 0.90 - z * 0.01, 0.90 + z * 0.01), Measurement(0.80, 0.80 - z * 0.02, 0.80 + z * 0.02)])
    assert pooled is not None
    assert pooled.method == "inverse_variance"
    assert pooled.value == pytest.approx((0.90 * 10000 + 0.80 * 2500) / 12500)
    half = z / (12500**0.5)
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((pooled.value - half, pooled.value + half))


def test_pooling_without_any_uncertainty_is_a_plain_mean_without_interval() -> None:
    pooled = pool([Measurement(0.90), Measurement(0.80)])
    assert pooled is not None
    assert (pooled.method, pooled.ci_low, pooled.ci_high) == ("mean", None, None)
    assert pooled.value == pytest.approx(0.85)
    assert pool([]) is None


def test_the_wilson_interval_is_scipys_to_the_last_bit() -> None:
    from scipy.stats import binomtest

    for n in (1, 2, 7, 40, 100, 999, 12000, 1_000_003):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for confidence in (0.95, 0.9):
                ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
                assert wilson_interval(k, n, confidence) == (float(ci.low), float(ci.high)), (k, n, confidence)
