"""Statistics for real-world performance: Wilson intervals and pooling across reports.

Proportions given with numerator and denominator pool by summing counts (a Wilson interval on the
pooled counts). Otherwise reports pool by inverse-variance weighting, with each report's standard
error taken from its 95% confidence interval. A report without counts or interval cannot be
weighted and is left out of the interval (it still counts in `reports`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy.special import ndtri
from scipy.stats import norm

from alerts.choices import lower_is_better

Z95 = float(norm.ppf(0.975))
MIN_SE = 1e-6
SANE_LIMIT = 1e6  # far beyond any metric's range (SPEC §6); keeps sums finite


@functools.lru_cache(maxsize=8)
def _z(confidence: float) -> float:
    return float(ndtri(0.5 + 0.5 * confidence))


def wilson_interval(numerator: int, denominator: int, confidence: float = 0.95) -> tuple[float, float]:
    """SciPy's `binomtest(k, n).proportion_ci(method="wilson")`, the same arithmetic step by step
    (Newcombe 1998), without building a test object per call: ~1 µs instead of ~1 ms, which a
    trend of hundreds of cells would pay per request. tests/alerts/reports/test_stats.py holds the
    two equal."""
    if denominator <= 0 or not 0 <= numerator <= denominator:
        raise ValueError("need 0 <= numerator <= denominator and denominator > 0")
    k, n = numerator, denominator
    p = k / n
    z = _z(confidence)
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    q = 1 - p
    delta = z / denom * math.sqrt(4 * n * p * q + z**2)
    low = 0.0 if k == 0 else center - delta
    high = 1.0 if k == n else center + delta
    return float(low), float(high)


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


def _counted(items: list[Measurement]) -> Pooled | None:
    """Every report gives numerator and denominator: sum the counts, a Wilson interval on the sums."""
    if not all(m.numerator is not None and m.denominator for m in items):
        return None
    return pool_counts(sum(m.numerator or 0 for m in items), sum(m.denominator or 0 for m in items), len(items))


def pool_counts(k: int, n: int, reports: int) -> Pooled:
    """What pool() answers when every report gave counts: the summed counts with a Wilson interval
    (the database may sum them: alerts.performance_selectors)."""
    low, high = wilson_interval(k, n)
    return Pooled(k / n, low, high, reports, n, "counts")


def _weight(m: Measurement) -> float | None:
    """Inverse variance from the reported interval, else from the counts; None when neither is usable."""
    if m.ci_low is not None and m.ci_high is not None and _sane(m.ci_low) and _sane(m.ci_high) \
            and m.ci_high > m.ci_low:
        low, high = m.ci_low, m.ci_high
    elif m.numerator is not None and m.denominator:
        low, high = wilson_interval(m.numerator, m.denominator)
    else:
        return None
    # A floor on the standard error: an interval a hair wide must not weigh infinitely.
    se = max((high - low) / (2 * Z95), MIN_SE)
    return 1 / (se * se)


def _mean(items: list[Measurement], sample: int) -> Pooled:
    """No weight at all: a plain mean, without an interval (never judged credibly worse)."""
    return Pooled(math.fsum(m.value for m in items) / len(items), None, None, len(items), sample, "mean")


def pool(measurements: Iterable[Measurement]) -> Pooled | None:
    items = [m for m in measurements if _sane(m.value)]  # rows stored before values were bounded stay out
    if not items:
        return None
    counted = _counted(items)
    if counted is not None:
        return counted
    weighted = [(m.value, w) for m in items if (w := _weight(m)) is not None]
    sample = sum(m.denominator or 0 for m in items)
    total = math.fsum(w for _, w in weighted)
    if not weighted or total <= 0:
        return _mean(items, sample)
    value = math.fsum(v * w for v, w in weighted) / total
    half = Z95 / math.sqrt(total)
    if not all(math.isfinite(x) for x in (value, half)):  # never inf or nan, whatever was stored
        return _mean(items, sample)
    return Pooled(value, value - half, value + half, len(items), sample, "inverse_variance")


def measurement_sums(m: Measurement) -> tuple[float, float] | None:
    """(w, w·value) of one measurement pool() keeps, (0, 0) when it has no weight; None when pool()
    leaves it out. Sums of these over rows give pool_sums what pool() computes from the rows."""
    if not _sane(m.value):
        return None
    w = _weight(m)
    return (0.0, 0.0) if w is None else (w, w * m.value)


def pool_sums(*, reports: int, sample: int, weighted: int, sw: float, swx: float, sx: float) -> Pooled | None:
    """pool() from sums kept over its rows (alerts.services.pooled) when some row gave no counts:
    `reports` sane rows, Σ denominator, how many had a weight, Σw, Σw·value and Σvalue."""
    if reports <= 0:
        return None
    if not weighted or sw <= 0:
        return Pooled(sx / reports, None, None, reports, sample, "mean")
    value = swx / sw
    half = Z95 / math.sqrt(sw)
    if not all(math.isfinite(x) for x in (value, half)):
        return Pooled(sx / reports, None, None, reports, sample, "mean")
    return Pooled(value, value - half, value + half, reports, sample, "inverse_variance")


def has_interval(pooled: Pooled | None) -> bool:
    """Enough to judge: a figure with an interval (from counts, a reported interval or a sample)."""
    return pooled is not None and pooled.ci_low is not None and pooled.ci_high is not None


def credibly_worse(metric: str, pooled: Pooled, reference: float, margin: float = 0.0) -> bool:
    """The one rule for "credibly worse than a reference": the whole 95% interval lies on the wrong
    side of it by more than `margin`, in the metric's own direction. A figure without an interval
    is never credibly worse (it is "not enough to judge")."""
    if pooled.ci_low is None or pooled.ci_high is None:
        return False
    if lower_is_better(metric):
        return pooled.ci_low > reference + margin
    return pooled.ci_high < reference - margin
