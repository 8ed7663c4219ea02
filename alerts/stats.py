"""Statistics for real-world performance: Wilson intervals and pooling across reports.

Proportions given with numerator and denominator pool by summing counts (a Wilson interval on the
pooled counts). Otherwise reports pool by inverse-variance weighting, with each report's standard
error taken from its 95% confidence interval. A report without counts or interval cannot be
weighted and is left out of the interval (it still counts in `reports`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy.stats import binomtest, norm

Z95 = float(norm.ppf(0.975))
MIN_SE = 1e-6
SANE_LIMIT = 1e6  # far beyond any metric's range (SPEC §6); keeps sums finite


def wilson_interval(numerator: int, denominator: int, confidence: float = 0.95) -> tuple[float, float]:
    if denominator <= 0 or not 0 <= numerator <= denominator:
        raise ValueError("need 0 <= numerator <= denominator and denominator > 0")
    ci = binomtest(numerator, denominator).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@dataclass(frozen=True)
class Measurement:
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Pooled:
    value: float
    ci_low: float | None
    ci_high: float | None
    n_reports: int
    sample: int
    method: str  # "counts" | "inverse_variance" | "mean"


def _sane(number: float | None) -> bool:
    return number is not None and math.isfinite(number) and abs(number) <= SANE_LIMIT


def pool(measurements: Iterable[Measurement]) -> Pooled | None:
    items = list(measurements)
    if not items:
        return None
    items = [m for m in items if _sane(m.value)]  # rows stored before values were bounded stay out
    if not items:
        return None
    if all(m.numerator is not None and m.denominator for m in items):
        k = sum(m.numerator or 0 for m in items)
        n = sum(m.denominator or 0 for m in items)
        low, high = wilson_interval(k, n)
        return Pooled(k / n, low, high, len(items), n, "counts")
    weighted = []
    for m in items:
        if m.ci_low is not None and m.ci_high is not None and _sane(m.ci_low) and _sane(m.ci_high) \
                and m.ci_high > m.ci_low:
            # A floor on the standard error: an interval a hair wide must not weigh infinitely.
            se = max((m.ci_high - m.ci_low) / (2 * Z95), MIN_SE)
            weighted.append((m.value, 1 / (se * se)))
        elif m.numerator is not None and m.denominator:
            low, high = wilson_interval(m.numerator, m.denominator)
            se = max((high - low) / (2 * Z95), MIN_SE)
            weighted.append((m.value, 1 / (se * se)))
    sample = sum(m.denominator or 0 for m in items)
    if not weighted:
        return Pooled(sum(m.value for m in items) / len(items), None, None, len(items), sample, "mean")
    total = math.fsum(w for _, w in weighted)
    if total <= 0:
        return Pooled(math.fsum(m.value for m in items) / len(items), None, None, len(items), sample, "mean")
    value = math.fsum(v * w for v, w in weighted) / total
    half = Z95 / math.sqrt(total)
    if not all(math.isfinite(x) for x in (value, half)):  # never inf or nan, whatever was stored
        return Pooled(math.fsum(m.value for m in items) / len(items), None, None, len(items), sample, "mean")
    return Pooled(value, value - half, value + half, len(items), sample, "inverse_variance")
