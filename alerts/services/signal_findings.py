"""What a set of evidence shows: findings of signals, overall, per version and for the most recent period.

The rule, stated over one member's reports (with their prefetched `metrics__subgroup`): what the member
is shown. `signal_evidence` evaluates it for every member at once from sums kept per audience, and is
held to this statement (tests/alerts/reports/test_signal_evidence.py); `signals_evaluate` turns findings
into signals and views.
- below_baseline: the pooled 95% interval lies entirely below the declared baseline by more than
  SIGNAL_MARGIN (for metrics where lower is better, above it). The baseline compared against is
  the least demanding one declared in any jurisdiction.
- subgroup_worse: a subgroup's pooled interval lies below the whole population's pooled value by
  more than SIGNAL_MARGIN.
Each is judged on the whole evidence, on each version's (where it covers several) and on the most
recent period's (where it covers several), so that a good history never masks a drop (SPEC §10.2).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.choices import SignalKind, lower_is_better
from alerts.models import Report, Signal, Tool
from alerts.performance_selectors import report_period, versions_in_order
from alerts.selectors import baselines_current
from alerts.services.versions import known_versions
from alerts.stats import Measurement, Pooled, credibly_worse, pool

SignalKey = tuple[str, str, str, str | None, str]  # metric, kind, subgroup, version, period


@dataclass(frozen=True)
class RuleFinding:
    metric: str
    kind: str
    subgroup: str
    reference_value: float
    reference_source: str
    pooled: Pooled
    report_ids: frozenset[uuid.UUID]
    version: str | None = None  # None: all versions
    period: str = ""  # "": every period

    @property
    def key(self) -> SignalKey:
        return (self.metric, self.kind, self.subgroup, self.version, self.period)


def signal_key(signal: Signal) -> SignalKey:
    return (signal.metric, signal.kind, signal.subgroup, signal.version, signal.period)


def _rows_of(report: Report) -> dict[tuple[str, str | None], list[tuple[uuid.UUID, Measurement]]]:
    """The report's prefetched `metrics__subgroup` rows by (metric, subgroup label), each as (report id, measurement)."""
    keyed: dict[tuple[str, str | None], list[tuple[uuid.UUID, Measurement]]] = {}
    for r in report.metrics.all():
        keyed.setdefault((r.metric, r.subgroup.label if r.subgroup else None), []).append(
            (report.pk, Measurement(r.value, r.ci_low, r.ci_high, r.numerator, r.denominator)))
    return keyed


def baselines_of(tool: Tool) -> dict[str, list[tuple[float, str]]]:
    baselines: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for b in baselines_current(tool=tool):
        baselines[b.metric].append((b.value, b.authorization.jurisdiction))
    return baselines


@dataclass(frozen=True)
class EvidenceSlice:
    """Part of a member's evidence judged on its own: all of it, one version, or the latest period."""

    version: str | None
    period: str
    reports: Sequence[Report]


def evidence_slices(reports: Sequence[Report], known: list[str]) -> list[EvidenceSlice]:
    """Overall, each version (where the evidence covers more than one) and the most recent period
    (where it covers more than one), so that a good history never masks a drop after an update.
    A slice holding the same reports as an earlier one is judged once, under the earlier name."""
    slices = [EvidenceSlice(None, "", reports)]
    versions = versions_in_order(reports, known)
    if len(versions) > 1:
        slices += [EvidenceSlice(v, "", [r for r in reports if r.tool_version == v]) for v in versions]
    periods = {report_period(r) for r in reports}
    if len(periods) > 1:
        latest = max(periods)
        slices.append(EvidenceSlice(None, latest, [r for r in reports if report_period(r) == latest]))
    seen: set[frozenset[uuid.UUID]] = set()
    unique = []
    for part in slices:
        ids = frozenset(r.pk for r in part.reports)
        if ids and ids not in seen:
            seen.add(ids)
            unique.append(part)
    return unique


def _whole_and_groups(
    reports: Sequence[Report],
) -> tuple[dict[str, list[tuple[uuid.UUID, Measurement]]], dict[tuple[str, str], list[tuple[uuid.UUID, Measurement]]]]:
    whole: dict[str, list[tuple[uuid.UUID, Measurement]]] = defaultdict(list)
    groups: dict[tuple[str, str], list[tuple[uuid.UUID, Measurement]]] = defaultdict(list)
    for report in reports:
        for (metric, label), pairs in _rows_of(report).items():
            if label is None:
                whole[metric].extend(pairs)
            else:
                groups[(metric, label)].extend(pairs)
    return whole, groups


def least_demanding(metric: str, declared: list[tuple[float, str]]) -> tuple[float, str]:
    pick = max if lower_is_better(metric) else min
    reference, _ = pick(declared)
    sources = sorted(j for v, j in declared if v == reference)
    return reference, "baseline declared in " + ", ".join(sources)


def _slice_findings(
    part: EvidenceSlice, margin: float, baselines: dict[str, list[tuple[float, str]]],
) -> list[RuleFinding]:
    whole, groups = _whole_and_groups(part.reports)
    findings: list[RuleFinding] = []
    pooled_whole: dict[str, Pooled] = {}
    for metric, rows in whole.items():
        pooled = pool(m for _, m in rows)
        if pooled is None:
            continue
        pooled_whole[metric] = pooled
        if not baselines.get(metric):
            continue
        reference, source = least_demanding(metric, baselines[metric])
        if credibly_worse(metric, pooled, reference, margin):
            findings.append(RuleFinding(metric, SignalKind.BELOW_BASELINE, "", reference, source, pooled,
                                    frozenset(pk for pk, _ in rows), part.version, part.period))
    for (metric, label), rows in groups.items():
        whole_pooled = pooled_whole.get(metric)
        pooled = pool(m for _, m in rows)
        if whole_pooled is None or pooled is None:
            continue
        if credibly_worse(metric, pooled, whole_pooled.value, margin):
            evidence = {pk for pk, _ in rows} | {pk for pk, _ in whole[metric]}
            findings.append(RuleFinding(metric, SignalKind.SUBGROUP_WORSE, label, whole_pooled.value,
                                    "pooled value of the whole population", pooled, frozenset(evidence),
                                    part.version, part.period))
    return findings


def findings_for(
    tool: Tool, reports: Sequence[Report], margin: float, baselines: dict[str, list[tuple[float, str]]] | None = None,
    known: list[str] | None = None,
) -> list[RuleFinding]:
    """What the evidence shows: overall, per version and for the most recent period."""
    if baselines is None:
        baselines = baselines_of(tool)
    if known is None:
        known = known_versions(tool)
    return [f for part in evidence_slices(reports, known) for f in _slice_findings(part, margin, baselines)]

