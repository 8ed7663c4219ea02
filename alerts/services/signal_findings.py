"""What a set of evidence shows: findings of signals, overall, per version and for the most recent period.

Pure over the evidence read as tuples (`evidence_read`, no model instance per report or row; no writes): `signals_evaluate` turns findings into signals and views.
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from alerts.choices import Distribution, ReportStatus, SignalKind, lower_is_better
from alerts.models import Report, ReportMetric, ReportRecipient, Signal, Tool
from alerts.performance_selectors import report_period, versions_in_order
from alerts.selectors import baselines_current
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


@dataclass(frozen=True)
class EvidenceRow:
    """One metric row of a report, as findings read it: metric, subgroup label (None: the whole)."""

    metric: str
    label: str | None
    measurement: Measurement


@dataclass(frozen=True)
class EvidenceReport:
    """A published report as evidence: what visibility, slices and pooling read of it — plain values
    read as tuples, so that a tool's whole evidence costs no model instance per report or row."""

    pk: uuid.UUID
    publisher_id: int
    distribution: str
    supersedes_id: uuid.UUID | None
    tool_version: str
    period_end: date
    recipients: frozenset[int]
    rows: tuple[EvidenceRow, ...]
    split: tuple[tuple[tuple[str, str | None], tuple[tuple[uuid.UUID, Measurement], ...]], ...] = ()  # _split's answer


def _split(pk: uuid.UUID, rows: Iterable[EvidenceRow]) -> tuple[tuple[tuple[str, str | None], tuple[tuple[uuid.UUID, Measurement], ...]], ...]:
    """A report's rows by (metric, subgroup label) in the order they come, each as (report id, measurement):
    computed once per report, extended into every slice of every evidence group that holds it."""
    keyed: dict[tuple[str, str | None], list[tuple[uuid.UUID, Measurement]]] = {}
    for row in rows:
        keyed.setdefault((row.metric, row.label), []).append((pk, row.measurement))
    return tuple((key, tuple(pairs)) for key, pairs in keyed.items())


def _rows_of(report: EvidenceReport | Report) -> Iterable[EvidenceRow]:
    """The report's rows: an EvidenceReport's own, or a Report's prefetched `metrics__subgroup`."""
    if isinstance(report, EvidenceReport):
        return report.rows
    return [EvidenceRow(r.metric, r.subgroup.label if r.subgroup else None,
                        Measurement(r.value, r.ci_low, r.ci_high, r.numerator, r.denominator))
            for r in report.metrics.all()]


def evidence_read(tool: Tool) -> dict[uuid.UUID, EvidenceReport]:
    """The tool's published reports with their recipients and metric rows, in three queries of tuples."""
    published = Report.objects.filter(tool=tool, status=ReportStatus.PUBLISHED)
    recipients: dict[uuid.UUID, set[int]] = defaultdict(set)
    for report_id, member_id in ReportRecipient.objects.filter(report__in=published).values_list(
            "report_id", "member_id"):
        recipients[report_id].add(member_id)
    rows: dict[uuid.UUID, list[EvidenceRow]] = defaultdict(list)
    metrics = ReportMetric.objects.filter(report__in=published).order_by("id").values_list(
        "report_id", "metric", "subgroup__label", "value", "ci_low", "ci_high", "numerator", "denominator")
    for report_id, metric, label, value, low, high, num, den in metrics.iterator(chunk_size=10000):
        rows[report_id].append(EvidenceRow(metric, label, Measurement(value, low, high, num, den)))
    fields = ("pk", "publisher_id", "distribution", "supersedes_id", "tool_version", "period_end")
    return {
        pk: EvidenceReport(pk, publisher, distribution, supersedes, version, end,
                           frozenset(recipients.get(pk, ())), tuple(rows.get(pk, ())), _split(pk, rows.get(pk, ())))
        for pk, publisher, distribution, supersedes, version, end in published.values_list(*fields)
    }


def evidence_views(tool: Tool) -> tuple[dict[uuid.UUID, EvidenceReport], dict[frozenset[uuid.UUID], list[Member]]]:
    """The tool's published reports, and the active members grouped by the evidence each may see.

    A member's evidence is the same as `selectors.evidence_visible_to` (published reports it may
    see, less those a correction *it may see* supersedes), computed for every member from one read
    of the reports, so that each distinct evidence set is evaluated once, not once per member.
    """
    reports = evidence_read(tool)
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("code"))
    wide = (Distribution.NETWORK, Distribution.PUBLIC)
    groups: dict[frozenset[uuid.UUID], list[Member]] = defaultdict(list)
    for member in members:
        visible = {
            pk for pk, r in reports.items()
            if r.publisher_id == member.pk or r.distribution in wide or member.pk in r.recipients
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
    reports: Sequence[EvidenceReport | Report]


def evidence_slices(reports: Sequence[EvidenceReport | Report], known: list[str]) -> list[EvidenceSlice]:
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
    reports: Sequence[EvidenceReport | Report],
) -> tuple[dict[str, list[tuple[uuid.UUID, Measurement]]], dict[tuple[str, str], list[tuple[uuid.UUID, Measurement]]]]:
    whole: dict[str, list[tuple[uuid.UUID, Measurement]]] = defaultdict(list)
    groups: dict[tuple[str, str], list[tuple[uuid.UUID, Measurement]]] = defaultdict(list)
    for report in reports:
        split = report.split if isinstance(report, EvidenceReport) else _split(report.pk, _rows_of(report))
        for (metric, label), pairs in split:
            if label is None:
                whole[metric].extend(pairs)
            else:
                groups[(metric, label)].extend(pairs)
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
        pooled = pool(m for _, m in rows)
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
        pooled = pool(m for _, m in rows)
        if whole_pooled is None or pooled is None:
            continue
        if credibly_worse(metric, pooled, whole_pooled.value, margin):
            evidence = {pk for pk, _ in rows} | {pk for pk, _ in whole[metric]}
            findings.append(Finding(metric, SignalKind.SUBGROUP_WORSE, label, whole_pooled.value,
                                    "pooled value of the whole population", pooled, frozenset(evidence),
                                    part.version, part.period))
    return findings


def findings_for(
    tool: Tool, reports: Sequence[EvidenceReport | Report], margin: float, baselines: dict[str, list[tuple[float, str]]] | None = None,
    known: list[str] | None = None,
) -> list[Finding]:
    """What the evidence shows: overall, per version and for the most recent period."""
    if baselines is None:
        baselines = baselines_of(tool)
    if known is None:
        known = known_versions(tool)
    return [f for part in evidence_slices(reports, known) for f in _slice_findings(part, margin, baselines)]

