"""The pooled performance trend of one tool, from the reports the caller may see — and no others.

Overall and version by version (SPEC §10.2): `?version=` narrows the whole answer to one version;
`by_version` gives each version's own trend, so that a good history never hides a drop after an
update. Each metric says its direction (`lower_is_better`, from `alerts.choices`).

The sums are kept as reports are published (alerts.services.pooled): the trend reads the tool's
PooledCell rows of the open class and of the caller's own class (the restricted reports it may
see), whose number does not grow with the reports, and adds the caller's live part — the reports
it may see that no sum holds (those a correction supersedes: `evidence_visible_to` decides) —
summed by PostgreSQL; only where some row gave no counts are the live part's rows of that metric
read, as tuples, for their inverse-variance weights. A hidden report never reaches a sum the caller
reads (SPEC §3). A constant number of queries, and no model instance per report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Protocol

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractYear

from alerts.choices import lower_is_better
from alerts.models import PooledCell, PooledVersion, Report, ReportMetric, Tool
from alerts.selectors import baselines_current, evidence_visible_to
from alerts.services.pooled import CellKey, Sums, half_year
from alerts.services.versions import known_versions, report_version_check
from alerts.stats import SANE_LIMIT, Measurement, Pooled, pool_counts, pool_sums
from alerts.versioning import same_version
from exchange.json_types import JSONObject
from exchange.models import Member

# alerts.stats._sane in SQL: finite and within the limit (NaN compares above every number in PostgreSQL).
_SANE = Q(value__gte=-SANE_LIMIT, value__lte=SANE_LIMIT)
_COUNTED = _SANE & Q(numerator__isnull=False, denominator__gt=0)


class Dated(Protocol):
    """A report or a report read as evidence: what the half-year is taken from."""

    @property
    def period_end(self) -> date: ...


class Versioned(Protocol):
    @property
    def tool_version(self) -> str: ...


def report_period(report: Dated) -> str:
    """The half-year a report's period ends in: the unit of trends and of "the most recent period"."""
    return half_year(report.period_end)


def pooled_dict(pooled: Pooled) -> JSONObject:
    data = asdict(pooled)
    data["reports"] = data.pop("n_reports")
    return data



@dataclass(frozen=True)
class Cell:
    """The rows of one metric, version, half-year and subgroup (None: the whole population), summed."""

    metric: str
    version: str
    period: str
    label: str | None
    sums: Sums

    @property
    def key(self) -> CellKey:
        return self.metric, self.version, self.period, self.label


def _live_cells(reports: QuerySet[Report]) -> dict[CellKey, Sums]:
    """The live part's rows summed by PostgreSQL (counts only: weights are added where needed)."""
    rows = (
        ReportMetric.objects.filter(report__in=reports)
        .annotate(year=ExtractYear("report__period_end"),
                  half=Case(When(report__period_end__month__lte=6, then=Value(1)), default=Value(2)),
                  version=F("report__tool_version"), label=F("subgroup__label"))
        .values("metric", "version", "year", "half", "label")
        .annotate(rows=Count("id"), sane=Count("id", filter=_SANE), counted=Count("id", filter=_COUNTED),
                  k=Sum("numerator", filter=_SANE), n=Sum("denominator", filter=_SANE),
                  sx=Sum("value", filter=_SANE))
        .order_by()
    )
    return {(r["metric"], r["version"], f"{r['year']}-H{r['half']}", r["label"]):
            Sums(rows=r["rows"], sane=r["sane"], counted=r["counted"], k=r["k"] or 0, n=r["n"] or 0,
                 sx=r["sx"] or 0.0) for r in rows}


def _live_weights(reports: QuerySet[Report], metrics: set[str], cells: dict[CellKey, Sums]) -> None:
    """Σw and Σw·value of the live rows of these metrics (pooled by inverse variance), read as tuples."""
    rows = ReportMetric.objects.filter(report__in=reports, metric__in=metrics).values_list(
        "metric", "report__tool_version", "report__period_end", "subgroup__label", "value", "ci_low", "ci_high",
        "numerator", "denominator")
    for metric, version, end, label, value, low, high, num, den in rows.iterator(chunk_size=5000):
        cells[metric, version, half_year(end), label].add_weights(Measurement(value, low, high, num, den))


def _classes(member: Member) -> Q:
    """The audience classes of pooled sums a member reads: the open class and its own (SPEC §3)."""
    return Q(member__isnull=True) | Q(member=member)


def _cells(tool: Tool, member: Member, live: QuerySet[Report], versions: list[str] | None,
           any_live: bool) -> list[Cell]:
    """The tool's pooled sums (PooledCell) of the member's classes plus its live part, by cell."""
    stored = PooledCell.objects.filter(_classes(member), tool=tool, rows__gt=0)
    if versions is not None:
        stored = stored.filter(version__in=versions)
    live_sums = _live_cells(live) if any_live else {}
    merged: dict[CellKey, Sums] = defaultdict(Sums)
    for c in stored:
        merged[c.metric, c.version, c.period, c.label].merge(Sums(
            rows=c.rows, sane=c.sane, counted=c.counted, k=c.k, n=c.n, weighted=c.weighted, sw=c.sw, swx=c.swx,
            sx=c.sx))
    uncounted = {key[0] for key, s in merged.items() if s.counted != s.sane}
    uncounted |= {key[0] for key, s in live_sums.items() if s.counted != s.sane}
    if uncounted and live_sums:
        _live_weights(live, uncounted, live_sums)
    for key, sums in live_sums.items():
        merged[key].merge(sums)
    return [Cell(*key, sums) for key, sums in merged.items()]


def _pool(cells: list[Cell]) -> Pooled | None:
    """alerts.stats.pool over the cells' rows, from their sums."""
    total = Sums()
    for c in cells:
        total.merge(c.sums)
    if total.sane == 0:
        return None
    if total.counted == total.sane:
        return pool_counts(total.k, total.n, total.sane)
    return pool_sums(reports=total.sane, sample=total.n, weighted=total.weighted, sw=total.sw, swx=total.swx,
                     sx=total.sx)


def _pooled_by(cells: dict[str, list[Cell]], name: str) -> list[JSONObject]:
    result = []
    for key in sorted(cells):
        pooled = _pool(cells[key])
        if pooled is not None:
            result.append({name: key, **pooled_dict(pooled)})
    return result


def metrics_trend(cells: Iterable[Cell], baselines: dict[str, list[JSONObject]]) -> list[JSONObject]:
    """Per metric: baselines, the overall pooled figure, per period and per subgroup."""
    periods: dict[str, dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    groups: dict[str, dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for cell in cells:
        if cell.label is None:
            periods[cell.metric][cell.period].append(cell)
        else:
            groups[cell.metric][cell.label].append(cell)
    metrics = []
    for metric in sorted(set(periods) | set(baselines) | set(groups)):
        overall = _pool([c for rows in periods.get(metric, {}).values() for c in rows])
        metrics.append({
            "metric": metric,
            "lower_is_better": lower_is_better(metric),
            "baselines": baselines.get(metric, []),
            "overall": pooled_dict(overall) if overall else None,
            "periods": _pooled_by(periods.get(metric, {}), "period"),
            "subgroups": _pooled_by(groups.get(metric, {}), "label"),
        })
    return metrics


def versions_in_order(reports: Iterable[Versioned], known: list[str]) -> list[str]:
    """The versions the reports are about: registered ones in version order, then any others as given."""
    return versions_ordered({r.tool_version for r in reports}, known)


def versions_ordered(given: set[str], known: list[str]) -> list[str]:
    ordered = [v for v in known if v in given]
    return ordered + sorted(given - set(ordered))


def _version_counts(tool: Tool, member: Member, live: QuerySet[Report]) -> tuple[dict[str, int], bool]:
    """Reports per version: the pooled ones counted (PooledVersion) and the member's live part."""
    counts: dict[str, int] = defaultdict(int)
    pooled = PooledVersion.objects.filter(_classes(member), tool=tool, reports__gt=0)
    for v, n in pooled.values_list("version", "reports"):
        counts[v] += n
    live_counts = live.order_by().values_list("tool_version").annotate(n=Count("id"))
    for v, n in live_counts:
        counts[v] += n
    return dict(counts), bool(live_counts)


def tool_performance(*, tool: Tool, member: Member | None, version: str | None = None) -> JSONObject:
    if member is None or not member.is_active:  # sees no report: not even the pooled ones
        counts: dict[str, int] = {}
        cells: list[Cell] = []
    else:
        live = evidence_visible_to(member=member, tool=tool).filter(pooled=False)
        counts, any_live = _version_counts(tool, member, live)
        versions = None
        if version:
            version = report_version_check(tool, version)  # a registered version where the tool has versions
            counts = {v: n for v, n in counts.items() if same_version(v, version)}
            versions = list(counts)
            live = live.filter(tool_version__in=versions)
        cells = _cells(tool, member, live, versions, any_live) if counts else []
    baselines: dict[str, list[JSONObject]] = defaultdict(list)
    for b in baselines_current(tool=tool):
        baselines[b.metric].append({"jurisdiction": b.authorization.jurisdiction, "value": b.value})
    by_version = [
        {"version": v, "metrics": metrics_trend([c for c in cells if c.version == v], {})}
        for v in versions_ordered(set(counts), known_versions(tool))
    ]
    return {
        "tool": str(tool.pk), "version": version or None, "reports": sum(counts.values()),
        "metrics": metrics_trend(cells, baselines), "by_version": by_version,
    }
