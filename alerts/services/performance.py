"""The pooled performance trend of one tool, from the reports the caller may see — and no others."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from typing import Any

from alerts.models import Report, Tool
from alerts.selectors import baselines_current, evidence_visible_to
from alerts.stats import Measurement, Pooled, pool
from exchange.models import Member


def _period(report: Report) -> str:
    end = report.period_end
    return f"{end.year}-H{1 if end.month <= 6 else 2}"


def _pooled_dict(pooled: Pooled) -> dict[str, Any]:
    data = asdict(pooled)
    data["reports"] = data.pop("n_reports")
    return data


def tool_performance(*, tool: Tool, member: Member) -> dict[str, Any]:
    reports = list(evidence_visible_to(member=member, tool=tool).prefetch_related("metrics__subgroup"))
    whole: dict[str, list[tuple[Report, Measurement]]] = defaultdict(list)
    groups: dict[str, dict[str, list[Measurement]]] = defaultdict(lambda: defaultdict(list))
    for report in reports:
        for row in report.metrics.all():
            m = Measurement(row.value, row.ci_low, row.ci_high, row.numerator, row.denominator)
            if row.subgroup is None:
                whole[row.metric].append((report, m))
            else:
                groups[row.metric][row.subgroup.label].append(m)
    baselines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for b in baselines_current(tool=tool):
        baselines[b.metric].append({"jurisdiction": b.authorization.jurisdiction, "value": b.value})
    metrics = []
    for metric in sorted(set(whole) | set(baselines) | set(groups)):
        rows = whole.get(metric, [])
        overall = pool(m for _, m in rows)
        by_period: dict[str, list[Measurement]] = defaultdict(list)
        for report, m in rows:
            by_period[_period(report)].append(m)
        periods = []
        for period in sorted(by_period):
            pooled = pool(by_period[period])
            if pooled is not None:
                periods.append({"period": period, **_pooled_dict(pooled)})
        subgroups = []
        for label in sorted(groups.get(metric, {})):
            pooled = pool(groups[metric][label])
            if pooled is not None:
                subgroups.append({"label": label, **_pooled_dict(pooled)})
        metrics.append({
            "metric": metric,
            "baselines": baselines.get(metric, []),
            "overall": _pooled_dict(overall) if overall else None,
            "periods": periods,
            "subgroups": subgroups,
        })
    return {"tool": str(tool.pk), "reports": len(reports), "metrics": metrics}
