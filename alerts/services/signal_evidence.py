"""A tool's evidence summed once per audience, so that every member's findings cost what the tool's reports cost.

`signal_findings` states the rule over one member's reports; evaluating it per member (or per group
of members with the same evidence, as before) read every report once per group: 60 groups × 146,162
reports for the busiest tool at scale 1.0. Here each published report is read once, into the one
*audience* that sees it — the active members who may see it (SPEC §2) less those who see a correction
of it — and each audience keeps, per version, period, metric and subgroup, the sums pooling needs
(`stats.ExactSums`: exact, so that any union of audiences pools bit for bit as `stats.pool` over the
union's rows) and the digest of its reports (`selectors.report_ids_digest`: additive). A group's
findings add its audiences' sums; a finding's report ids are materialised only when a signal must
be written, and a finding tells whether it holds a given report without materialising them.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import QuerySet

from alerts.choices import Distribution, ReportStatus, SignalKind
from alerts.models import Report, ReportMetric, ReportRecipient, Tool
from alerts.performance_selectors import versions_ordered
from alerts.selectors import id_digest, wrap_digest
from alerts.services.pooled import half_year
from alerts.services.signal_findings import SignalKey, least_demanding
from alerts.stats import ExactSums, Pooled, credibly_worse
from exchange.choices import MemberStatus
from exchange.models import Member

EvidenceKey = tuple[str, str | None]  # metric, subgroup label (None: the whole population)
Dim = tuple[str, str]  # ("", ""): every report; ("v", version): one version's; ("p", period): one period's
ALL: Dim = ("", "")


class Cell:
    """The rows for one key of some reports: their sums, the reports holding such a row (with their
    digest), and, for a subgroup's key, how many (and which digest) also hold a whole-population row."""

    __slots__ = ("digest", "ids", "overlap", "overlap_digest", "parts", "sums")

    def __init__(self) -> None:
        self.sums = ExactSums()
        self.ids: set[uuid.UUID] = set()
        self.digest = self.overlap = self.overlap_digest = 0
        self.parts: list[Cell] = []  # the base cells summed into this one (for the ids)

    def merge(self, other: Cell) -> None:
        self.sums.merge(other.sums)
        self.digest += other.digest
        self.overlap += other.overlap
        self.overlap_digest += other.overlap_digest
        self.parts.extend(other.parts or [other])

    @property
    def reports(self) -> int:
        return sum(len(p.ids) for p in self.parts) if self.parts else len(self.ids)

    def report_ids(self) -> set[uuid.UUID]:
        return set().union(*(p.ids for p in self.parts)) if self.parts else set(self.ids)


@dataclass
class Audience:
    """The published reports the same active members see: their cells by (version, period, key)."""

    members: frozenset[int]
    reports: list[uuid.UUID] = field(default_factory=list)
    spread: Counter[tuple[str, str]] = field(default_factory=Counter)  # reports per (version, period)
    cells: dict[tuple[str, str, EvidenceKey], Cell] = field(default_factory=lambda: defaultdict(Cell))
    dims: dict[Dim, dict[EvidenceKey, Cell]] = field(default_factory=lambda: defaultdict(dict))

    def finish(self) -> None:
        """Digests and overlaps of the base cells, then their sums per version, per period and overall."""
        for (version, period, (metric, label)), cell in self.cells.items():
            cell.digest = sum(map(id_digest, cell.ids))
            if label is not None and (whole := self.cells.get((version, period, (metric, None)))) is not None:
                both = cell.ids & whole.ids
                cell.overlap, cell.overlap_digest = len(both), sum(map(id_digest, both))
        for (version, period, key), cell in self.cells.items():
            for dim in (ALL, ("v", version), ("p", period)):
                self.dims[dim].setdefault(key, Cell()).merge(cell)


@dataclass(frozen=True)
class Placed:
    """Where one report stands in the evidence: what `Finding.holds` asks of it."""

    audience: int  # -1: no active member sees it
    version: str
    period: str
    keys: frozenset[EvidenceKey]


@dataclass
class Evidence:
    audiences: list[Audience]
    groups: dict[tuple[int, ...], list[Member]]  # the audiences a group of members sees -> those members
    placed: dict[uuid.UUID, Placed]  # the reports asked about
    countries: dict[uuid.UUID, str]  # every published report's country (a signal's facets)


@dataclass
class _Published:
    """The tool's published reports as read: who may see each (active members), where it stands
    (version, half-year), its country, and the report each correction supersedes."""

    seen: dict[uuid.UUID, frozenset[int]] = field(default_factory=dict)
    where: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)
    countries: dict[uuid.UUID, str] = field(default_factory=dict)
    supersedes: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


def _published_read(published: QuerySet[Report], active: frozenset[int]) -> _Published:
    recipients: dict[uuid.UUID, set[int]] = defaultdict(set)
    for report_id, member_id in ReportRecipient.objects.filter(report__in=published).values_list("report_id", "member_id"):
        recipients[report_id].add(member_id)
    read = _Published()
    rows = published.values_list("pk", "publisher_id", "distribution", "supersedes_id", "tool_version", "period_end",
                                 "country")
    for pk, publisher, distribution, corrects, version, end, country in rows.iterator(chunk_size=10000):
        read.countries[pk] = country
        wide = distribution in (Distribution.NETWORK, Distribution.PUBLIC)
        read.seen[pk] = active if wide else active & ({publisher} | recipients.get(pk, set()))
        read.where[pk] = (version, half_year(end))
        if corrects:
            read.supersedes[pk] = corrects
    return read


def _audiences_of(read: _Published) -> tuple[list[Audience], dict[uuid.UUID, int]]:
    """Each report into the audience that sees it: its viewers less those who see a correction of it
    (`selectors.evidence_visible_to`); a report nobody active sees is in none."""
    hidden: dict[uuid.UUID, set[int]] = defaultdict(set)
    for pk, corrects in read.supersedes.items():
        if corrects in read.seen:
            hidden[corrects] |= read.seen[pk]
    index: dict[frozenset[int], int] = {}
    audiences: list[Audience] = []
    audience_of: dict[uuid.UUID, int] = {}
    for pk, viewers in read.seen.items():
        viewers = viewers - hidden[pk] if pk in hidden else viewers
        if not viewers:
            continue
        if viewers not in index:
            index[viewers] = len(audiences)
            audiences.append(Audience(viewers))
        audience_of[pk] = index[viewers]
        audiences[index[viewers]].reports.append(pk)
        audiences[index[viewers]].spread[read.where[pk]] += 1
    return audiences, audience_of


def evidence_gather(tool: Tool, asked: Iterable[uuid.UUID] = ()) -> Evidence:
    """Every published report of the tool read once into its audience (tuples, no model instance), the
    active members grouped by the audiences they see, and where the `asked` reports stand."""
    members = list(Member.objects.filter(status=MemberStatus.ACTIVE).order_by("code"))
    published = Report.objects.filter(tool=tool, status=ReportStatus.PUBLISHED)
    read = _published_read(published, frozenset(m.pk for m in members))
    audiences, audience_of = _audiences_of(read)
    asked = set(asked)
    keys: dict[uuid.UUID, set[EvidenceKey]] = defaultdict(set)
    metrics = ReportMetric.objects.filter(report__in=published).order_by().values_list(
        "report_id", "metric", "subgroup__label", "value", "ci_low", "ci_high", "numerator", "denominator")
    for report_id, metric, label, value, low, high, num, den in _every_row(metrics):
        holder = audience_of.get(report_id)
        if holder is None:
            continue
        version, period = read.where[report_id]
        cell = audiences[holder].cells[(version, period, (metric, label))]
        cell.sums.add_values(value, low, high, num, den)
        cell.ids.add(report_id)
        if report_id in asked:
            keys[report_id].add((metric, label))
    for audience in audiences:
        audience.finish()
    groups: dict[tuple[int, ...], list[Member]] = defaultdict(list)
    for member in members:
        groups[tuple(i for i, a in enumerate(audiences) if member.pk in a.members)].append(member)
    placed = {pk: Placed(audience_of.get(pk, -1), *read.where[pk], frozenset(keys[pk])) for pk in asked if pk in read.where}
    return Evidence(audiences, dict(groups), placed, read.countries)


MetricRow = tuple[uuid.UUID, str, str | None, float, float | None, float | None, int | None, int | None]


def _every_row(rows: QuerySet[ReportMetric, MetricRow]) -> Iterable[MetricRow]:
    """Every row of `rows`, in chunks. On PostgreSQL through a client-side cursor: a server-side one
    (`iterator()`) is planned for its first rows and never in parallel — 21 s instead of 3 s for the
    busiest tool's 728,365 metric rows at scale 1.0. PostgreSQL's driver answers UUIDs as such."""
    if connection.vendor != "postgresql":
        yield from rows.iterator(chunk_size=10000)
        return
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(10000):
            yield from chunk


@dataclass(frozen=True)
class Finding:
    """What a group's evidence shows, with the digest of the reports behind it (`report_ids` on demand)."""

    metric: str
    kind: str
    subgroup: str
    reference_value: float
    reference_source: str
    pooled: Pooled
    version: str | None
    period: str
    digest: tuple[int, int]
    audiences: frozenset[int] = field(compare=False, repr=False)
    dim: Dim = field(compare=False, repr=False)
    cells: tuple[Cell, ...] = field(compare=False, repr=False)

    @property
    def key(self) -> SignalKey:
        return (self.metric, self.kind, self.subgroup, self.version, self.period)

    @cached_property
    def report_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(set().union(*(c.report_ids() for c in self.cells)))

    def holds(self, placed: Placed) -> bool:
        """Whether the report stands among this finding's evidence."""
        if placed.audience not in self.audiences:
            return False
        if self.dim != ALL and self.dim != (("v", placed.version) if self.dim[0] == "v" else ("p", placed.period)):
            return False
        wanted = {(self.metric, None), (self.metric, self.subgroup)} if self.subgroup else {(self.metric, None)}
        return bool(wanted & placed.keys)


def _summed(audiences: list[Audience], dim: Dim) -> dict[EvidenceKey, Cell]:
    total: dict[EvidenceKey, Cell] = {}
    for audience in audiences:
        for key, cell in audience.dims.get(dim, {}).items():
            total.setdefault(key, Cell()).merge(cell)
    return total


def _dims(audiences: list[Audience], known: list[str]) -> list[tuple[str | None, str, Dim]]:
    """The slices the rule judges (`signal_findings.evidence_slices`), from the reports' spread alone:
    overall, each version where there are several, the latest period where there are several and it
    is not the very reports of one version."""
    spread: Counter[tuple[str, str]] = Counter()
    for audience in audiences:
        spread.update(audience.spread)
    per_version: Counter[str] = Counter()
    per_period: Counter[str] = Counter()
    for (version, period), n in spread.items():
        per_version[version] += n
        per_period[period] += n
    versions = versions_ordered(set(per_version), known) if len(per_version) > 1 else []
    dims: list[tuple[str | None, str, Dim]] = [(None, "", ALL)] + [(v, "", ("v", v)) for v in versions]
    if len(per_period) > 1:
        latest = max(per_period)
        if not any(spread[(v, latest)] == per_version[v] == per_period[latest] for v in versions):
            dims.append((None, latest, ("p", latest)))
    return dims


def group_findings(evidence: Evidence, group: tuple[int, ...], margin: float,
                   baselines: dict[str, list[tuple[float, str]]], known: list[str]) -> list[Finding]:
    """What the evidence of the members seeing these audiences shows (`signal_findings.findings_for`)."""
    audiences = [evidence.audiences[i] for i in group]
    scope = frozenset(group)
    findings: list[Finding] = []
    for version, period, dim in _dims(audiences, known):
        cells = _summed(audiences, dim)
        pooled_whole: dict[str, Pooled] = {}
        for (metric, label), cell in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if label is not None or (pooled := cell.sums.pooled()) is None:
                continue
            pooled_whole[metric] = pooled
            if baselines.get(metric):
                reference, source = least_demanding(metric, baselines[metric])
                if credibly_worse(metric, pooled, reference, margin):
                    findings.append(Finding(metric, SignalKind.BELOW_BASELINE, "", reference, source, pooled,
                                            version, period, wrap_digest(cell.reports, cell.digest), scope, dim, (cell,)))
        for (metric, label), cell in sorted(cells.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            if label is None or (whole := pooled_whole.get(metric)) is None or (pooled := cell.sums.pooled()) is None:
                continue
            if credibly_worse(metric, pooled, whole.value, margin):
                everything = cells[(metric, None)]
                count = cell.reports + everything.reports - cell.overlap
                digest = cell.digest + everything.digest - cell.overlap_digest
                findings.append(Finding(metric, SignalKind.SUBGROUP_WORSE, label, whole.value,
                                        "pooled value of the whole population", pooled, version, period,
                                        wrap_digest(count, digest), scope, dim, (cell, everything)))
    return findings
