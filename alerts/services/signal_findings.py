"""What a set of evidence shows: findings of signals, overall, per version and for the most recent period.

Pure over prefetched reports (no writes): `signals_evaluate` turns findings into signals and views.
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
from dataclasses import dataclass

from alerts.choices import Distribution, ReportStatus, SignalKind, lower_is_better
from alerts.models import Report, ReportMetric, Signal, Tool
from alerts.selectors import baselines_current
from alerts.services.performance import report_period, versions_in_order
from alerts.services.versions import known_versions
from alerts.stats import Measurement, Pooled, credibly_worse, pool
from exchange.choices import MemberStatus
from exchange.models import Member

SignalKey = tuple[str, str, str, str | None, str]  # metric, kind, subgroup, version, period
MetricRows = list[tuple[uuid.UUID, ReportMetric]]  # (report id, one of its metric rows)


@dataclass(frozen=True)
class Finding:
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


def _measurement(row: ReportMetric) -> Measurement:
    return Measurement(row.value, row.ci_low, row.ci_high, row.numerator, row.denominator)


def evidence_views(tool: Tool) -> tuple[dict[uuid.UUID, Report], dict[frozenset[uuid.UUID], list[Member]]]:
    """The tool's published reports, and the active members grouped by the evidence each may see.

    A member's evidence is the same as `selectors.evidence_visible_to` (published reports it may
    see, less those a correction *it may see* supersedes), computed for every member from one read
    of the reports, so that each distinct evidence set is evaluated once, not once per member.
    """
    reports = {
        r.pk: r for r in Report.objects.filter(tool=tool, status=ReportStatus.PUBLISHED)
        .prefetch_related("metrics__subgroup", "recipient_rows")
    }
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("code"))
    wide = (Distribution.NETWORK, Distribution.PUBLIC)
    groups: dict[frozenset[uuid.UUID], list[Member]] = defaultdict(list)
    for member in members:
        visible = {
            pk for pk, r in reports.items()
            if r.publisher_id == member.pk or r.distribution in wide
            or any(row.member_id == member.pk for row in r.recipient_rows.all())
        }
        corrected = {reports[pk].supersedes_id for pk in visible if reports[pk].supersedes_id}
        groups[frozenset(visible - corrected)].append(member)
    return reports, groups


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
    reports: list[Report]


def evidence_slices(reports: list[Report], known: list[str]) -> list[EvidenceSlice]:
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
    reports: list[Report],
) -> tuple[dict[str, MetricRows], dict[tuple[str, str], MetricRows]]:
    whole: dict[str, MetricRows] = defaultdict(list)
    groups: dict[tuple[str, str], MetricRows] = defaultdict(list)
    for report in reports:
        for row in report.metrics.all():
            if row.subgroup is None:
                whole[row.metric].append((report.pk, row))
            else:
                groups[(row.metric, row.subgroup.label)].append((report.pk, row))
    return whole, groups


def _least_demanding(metric: str, declared: list[tuple[float, str]]) -> tuple[float, str]:
    pick = max if lower_is_better(metric) else min
    reference, _ = pick(declared)
    sources = sorted(j for v, j in declared if v == reference)
    return reference, "baseline declared in " + ", ".join(sources)


def _slice_findings(
    part: EvidenceSlice, margin: float, baselines: dict[str, list[tuple[float, str]]],
) -> list[Finding]:
    whole, groups = _whole_and_groups(part.reports)
    findings: list[Finding] = []
    pooled_whole: dict[str, Pooled] = {}
    for metric, rows in whole.items():
        pooled = pool(_measurement(r) for _, r in rows)
        if pooled is None:
            continue
        pooled_whole[metric] = pooled
        if not baselines.get(metric):
            continue
        reference, source = _least_demanding(metric, baselines[metric])
        if credibly_worse(metric, pooled, reference, margin):
            findings.append(Finding(metric, SignalKind.BELOW_BASELINE, "", reference, source, pooled,
                                    frozenset(pk for pk, _ in rows), part.version, part.period))
    for (metric, label), rows in groups.items():
        whole_pooled = pooled_whole.get(metric)
        pooled = pool(_measurement(r) for _, r in rows)
        if whole_pooled is None or pooled is None:
            continue
        if credibly_worse(metric, pooled, whole_pooled.value, margin):
            evidence = {pk for pk, _ in rows} | {pk for pk, _ in whole[metric]}
            findings.append(Finding(metric, SignalKind.SUBGROUP_WORSE, label, whole_pooled.value,
                                    "pooled value of the whole population", pooled, frozenset(evidence),
                                    part.version, part.period))
    return findings


def findings_for(
    tool: Tool, reports: list[Report], margin: float, baselines: dict[str, list[tuple[float, str]]] | None = None,
    known: list[str] | None = None,
) -> list[Finding]:
    """What the evidence shows: overall, per version and for the most recent period."""
    if baselines is None:
        baselines = baselines_of(tool)
    if known is None:
        known = known_versions(tool)
    return [f for part in evidence_slices(reports, known) for f in _slice_findings(part, margin, baselines)]
