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
    return _weight_of(m.ci_low, m.ci_high, m.numerator, m.denominator)


def _weight_of(ci_low: float | None, ci_high: float | None, numerator: int | None, denominator: int | None) -> float | None:
    if ci_low is not None and ci_high is not None and _sane(ci_low) and _sane(ci_high) and ci_high > ci_low:
        low, high = ci_low, ci_high
    elif numerator is not None and denominator:
        low, high = wilson_interval(numerator, denominator)
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


_EXACT = 1074  # every finite double times 2**1074 is an integer


def _exact(x: float) -> int:
    """x exactly, as an integer count of 2**-1074."""
    numerator, denominator = x.as_integer_ratio()  # the denominator is a power of two
    return numerator << (_EXACT + 1 - denominator.bit_length())


def _rounded(total: int) -> float:
    """The exact sum back to the nearest double: what math.fsum answers (both round half to even)."""
    return total / (1 << _EXACT)


class ExactSums:
    """What pool() reads of a set of measurements, kept as sums that add without rounding.

    Sums of several sets (an audience class's, a version's, a period's) added together give exactly
    what pool() computes over the union of their measurements, bit for bit, whatever the order: the
    floating sums are kept as integers (`_exact`), rounded once at the end as math.fsum rounds.
    """

    __slots__ = ("counted", "items", "k", "n", "sample", "sw", "swx", "sx", "weighted")

    def __init__(self) -> None:
        self.items = self.counted = self.k = self.n = self.sample = self.weighted = 0
        self.sw = self.swx = self.sx = 0

    def add(self, m: Measurement) -> None:
        self.add_values(m.value, m.ci_low, m.ci_high, m.numerator, m.denominator)

    def add_values(self, value: float, ci_low: float | None, ci_high: float | None,
                   numerator: int | None, denominator: int | None) -> None:
        """add() of a Measurement of these values, without building one (a tool's whole evidence is read)."""
        if not _sane(value):
            return  # pool() leaves it out
        self.items += 1
        if denominator:
            self.sample += denominator
            if numerator is not None:
                self.counted += 1
                self.k += numerator
                self.n += denominator
        w = _weight_of(ci_low, ci_high, numerator, denominator)
        if w is not None:
            self.weighted += 1
            self.sw += _exact(w)
            self.swx += _exact(w * value)
        self.sx += _exact(value)

    def merge(self, other: ExactSums) -> None:
        self.items += other.items
        self.counted += other.counted
        self.k += other.k
        self.n += other.n
        self.sample += other.sample
        self.weighted += other.weighted
        self.sw += other.sw
        self.swx += other.swx
        self.sx += other.sx

    def pooled(self) -> Pooled | None:
        """pool() of the measurements summed."""
        if not self.items:
            return None
        if self.counted == self.items:
            return pool_counts(self.k, self.n, self.items)
        mean = Pooled(_rounded(self.sx) / self.items, None, None, self.items, self.sample, "mean")
        total = _rounded(self.sw)
        if not self.weighted or total <= 0:
            return mean
        value = _rounded(self.swx) / total
        half = Z95 / math.sqrt(total)
        if not all(math.isfinite(x) for x in (value, half)):
            return mean
        return Pooled(value, value - half, value + half, self.items, self.sample, "inverse_variance")
