"""The pooled performance trend of one tool, from the reports the caller may see — and no others.

Overall and version by version (SPEC §10.2): `?version=` narrows the whole answer to one version;
`by_version` gives each version's own trend, so that a good history never hides a drop after an
update. Each metric says its direction (`lower_is_better`, from `alerts.choices`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from alerts.choices import lower_is_better
from alerts.models import Report, Tool
from alerts.selectors import baselines_current, evidence_visible_to
from alerts.services.versions import known_versions, report_version_check
from alerts.stats import Measurement, Pooled, pool
from alerts.versioning import same_version


def report_period(report: Report) -> str:
    """The half-year a report's period ends in: the unit of trends and of "the most recent period"."""
    end = report.period_end
    return f"{end.year}-H{1 if end.month <= 6 else 2}"


def pooled_dict(pooled: Pooled) -> dict[str, Any]:
    data = asdict(pooled)
    data["reports"] = data.pop("n_reports")
    return data


def _measurement(row: Any) -> Measurement:
    return Measurement(row.value, row.ci_low, row.ci_high, row.numerator, row.denominator)


def _pooled_by(key_rows: dict[str, list[Measurement]], name: str) -> list[dict[str, Any]]:
    result = []
    for key in sorted(key_rows):
        pooled = pool(key_rows[key])
        if pooled is not None:
            result.append({name: key, **pooled_dict(pooled)})
    return result


def metrics_trend(reports: Iterable[Report], baselines: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per metric: baselines, the overall pooled figure, per period and per subgroup."""
    periods: dict[str, dict[str, list[Measurement]]] = defaultdict(lambda: defaultdict(list))
    groups: dict[str, dict[str, list[Measurement]]] = defaultdict(lambda: defaultdict(list))
    for report in reports:
        for row in report.metrics.all():
            if row.subgroup is None:
                periods[row.metric][report_period(report)].append(_measurement(row))
            else:
                groups[row.metric][row.subgroup.label].append(_measurement(row))
    metrics = []
    for metric in sorted(set(periods) | set(baselines) | set(groups)):
        overall = pool(m for rows in periods.get(metric, {}).values() for m in rows)
        metrics.append({
            "metric": metric,
            "lower_is_better": lower_is_better(metric),
            "baselines": baselines.get(metric, []),
            "overall": pooled_dict(overall) if overall else None,
            "periods": _pooled_by(periods.get(metric, {}), "period"),
            "subgroups": _pooled_by(groups.get(metric, {}), "label"),
        })
    return metrics


def versions_in_order(reports: list[Report], known: list[str]) -> list[str]:
    """The versions the reports are about: registered ones in version order, then any others as given."""
    given = {r.tool_version for r in reports}
    ordered = [v for v in known if v in given]
    return ordered + sorted(given - set(ordered))


def tool_performance(*, tool: Tool, member: Any, version: str | None = None) -> dict[str, Any]:
    reports = list(evidence_visible_to(member=member, tool=tool).prefetch_related("metrics__subgroup"))
    if version:
        version = report_version_check(tool, version)  # a registered version where the tool has versions
        reports = [r for r in reports if same_version(r.tool_version, version)]
    baselines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in baselines_current(tool=tool):
        baselines[b.metric].append({"jurisdiction": b.authorization.jurisdiction, "value": b.value})
    by_version = [
        {"version": v, "metrics": metrics_trend([r for r in reports if r.tool_version == v], {})}
        for v in versions_in_order(reports, known_versions(tool))
    ]
    return {
        "tool": str(tool.pk), "version": version or None, "reports": len(reports),
        "metrics": metrics_trend(reports, baselines), "by_version": by_version,
    }
