"""The pooled performance trend of one tool, from the reports the caller may see — and no others.

Overall and version by version (SPEC §10.2): `?version=` narrows the whole answer to one version;
`by_version` gives each version's own trend, so that a good history never hides a drop after an
update. Each metric says its direction (`lower_is_better`, from `alerts.choices`).

The database does the counting: one grouped query sums numerators and denominators per metric,
version, half-year and subgroup over the visible reports (`evidence_visible_to`, so a hidden report
never reaches a sum), and pooling by counts needs nothing more. Only a metric where some visible
report gave no counts (pooled by inverse variance, alerts.stats.pool) reads its rows — as tuples.
The cost is a constant number of queries, and no model instance per report.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractYear

from alerts.choices import lower_is_better
from alerts.models import Report, ReportMetric, Tool
from alerts.selectors import baselines_current, evidence_visible_to
from alerts.services.versions import known_versions, report_version_check
from alerts.stats import SANE_LIMIT, Measurement, Pooled, pool, pool_counts
from alerts.versioning import same_version
from exchange.json_types import JSONObject
from exchange.models import Member

# alerts.stats._sane in SQL: finite and within the limit (NaN compares above every number in PostgreSQL).
_SANE = Q(value__gte=-SANE_LIMIT, value__lte=SANE_LIMIT)
_COUNTED = _SANE & Q(numerator__isnull=False, denominator__gt=0)


def report_period(report: Report) -> str:
    """The half-year a report's period ends in: the unit of trends and of "the most recent period"."""
    end = report.period_end
    return f"{end.year}-H{1 if end.month <= 6 else 2}"


def pooled_dict(pooled: Pooled) -> JSONObject:
    data = asdict(pooled)
    data["reports"] = data.pop("n_reports")
    return data


CellKey = tuple[str, str, str, str | None]  # metric, version, half-year, subgroup label


@dataclass(frozen=True)
class Cell:
    """The rows of one metric, version, half-year and subgroup (None: the whole population), summed."""

    metric: str
    version: str
    period: str
    label: str | None
    sane: int  # rows pool() keeps
    counted: int  # of those, rows with numerator and denominator
    k: int
    n: int

    @property
    def key(self) -> CellKey:
        return self.metric, self.version, self.period, self.label


def _cells(reports: QuerySet[Report]) -> list[Cell]:
    rows = (
        ReportMetric.objects.filter(report__in=reports)
        .annotate(year=ExtractYear("report__period_end"),
                  half=Case(When(report__period_end__month__lte=6, then=Value(1)), default=Value(2)),
                  version=F("report__tool_version"), label=F("subgroup__label"))
        .values("metric", "version", "year", "half", "label")
        .annotate(sane=Count("id", filter=_SANE), counted=Count("id", filter=_COUNTED),
                  k=Sum("numerator", filter=_SANE), n=Sum("denominator", filter=_SANE))
        .order_by()
    )
    return [Cell(r["metric"], r["version"], f"{r['year']}-H{r['half']}", r["label"], r["sane"], r["counted"],
                 r["k"] or 0, r["n"] or 0) for r in rows]


def _measurements(reports: QuerySet[Report], metrics: set[str]) -> dict[CellKey, list[Measurement]]:
    """Every row of these metrics as a Measurement, by cell: for pooling without counts."""
    found: dict[CellKey, list[Measurement]] = defaultdict(list)
    rows = ReportMetric.objects.filter(report__in=reports, metric__in=metrics).values_list(
        "metric", "report__tool_version", "report__period_end", "subgroup__label", "value", "ci_low", "ci_high",
        "numerator", "denominator")
    for metric, version, end, label, value, ci_low, ci_high, numerator, denominator in rows.iterator(chunk_size=5000):
        period = f"{end.year}-H{1 if end.month <= 6 else 2}"
        found[metric, version, period, label].append(Measurement(value, ci_low, ci_high, numerator, denominator))
    return found


def _pool(cells: list[Cell], raw: dict[CellKey, list[Measurement]]) -> Pooled | None:
    """alerts.stats.pool over the cells' rows: from the sums when every row gave counts."""
    sane = sum(c.sane for c in cells)
    if sane == 0:
        return None
    if all(c.counted == c.sane for c in cells):
        return pool_counts(sum(c.k for c in cells), sum(c.n for c in cells), sane)
    return pool(m for c in cells for m in raw[c.key])


def _pooled_by(
    cells: dict[str, list[Cell]], name: str, raw: dict[CellKey, list[Measurement]]
) -> list[JSONObject]:
    result = []
    for key in sorted(cells):
        pooled = _pool(cells[key], raw)
        if pooled is not None:
            result.append({name: key, **pooled_dict(pooled)})
    return result


def metrics_trend(cells: Iterable[Cell], baselines: dict[str, list[JSONObject]],
                  raw: dict[CellKey, list[Measurement]]) -> list[JSONObject]:
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
        overall = _pool([c for rows in periods.get(metric, {}).values() for c in rows], raw)
        metrics.append({
            "metric": metric,
            "lower_is_better": lower_is_better(metric),
            "baselines": baselines.get(metric, []),
            "overall": pooled_dict(overall) if overall else None,
            "periods": _pooled_by(periods.get(metric, {}), "period", raw),
            "subgroups": _pooled_by(groups.get(metric, {}), "label", raw),
        })
    return metrics


def versions_in_order(reports: list[Report], known: list[str]) -> list[str]:
    """The versions the reports are about: registered ones in version order, then any others as given."""
    return versions_ordered({r.tool_version for r in reports}, known)


def versions_ordered(given: set[str], known: list[str]) -> list[str]:
    ordered = [v for v in known if v in given]
    return ordered + sorted(given - set(ordered))


def tool_performance(*, tool: Tool, member: Member, version: str | None = None) -> JSONObject:
    reports = evidence_visible_to(member=member, tool=tool)
    counts = dict(reports.order_by().values_list("tool_version").annotate(n=Count("id")))
    if version:
        version = report_version_check(tool, version)  # a registered version where the tool has versions
        counts = {v: n for v, n in counts.items() if same_version(v, version)}
        reports = reports.filter(tool_version__in=list(counts))
    cells = _cells(reports) if counts else []
    uncounted = {c.metric for c in cells if c.counted != c.sane}
    raw = _measurements(reports, uncounted) if uncounted else {}
    baselines: dict[str, list[JSONObject]] = defaultdict(list)
    for b in baselines_current(tool=tool):
        baselines[b.metric].append({"jurisdiction": b.authorization.jurisdiction, "value": b.value})
    by_version = [
        {"version": v, "metrics": metrics_trend([c for c in cells if c.version == v], {}, raw)}
        for v in versions_ordered(set(counts), known_versions(tool))
    ]
    return {
        "tool": str(tool.pk), "version": version or None, "reports": sum(counts.values()),
        "metrics": metrics_trend(cells, baselines, raw), "by_version": by_version,
    }
