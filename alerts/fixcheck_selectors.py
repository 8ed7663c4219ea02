"""Did the fix work? (SPEC §10.2) For an alert with `fixed_in`: per metric, the pooled performance of
the affected versions against that of `fixed_in` and later, from the reports the caller may see.

The intervals decide, as for signals: `improved` when the fixed interval lies wholly on the better
side of the affected one; `not_improved` when the fixed interval does not reach past the affected
figure on the better side (the fix credibly did not help); `insufficient_evidence` otherwise, and
whenever either side lacks an interval (no counts, no interval, no sample).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from alerts.choices import lower_is_better
from alerts.models import Alert, AlertTool, Report
from alerts.selectors import evidence_visible_to
from alerts.services.versions import known_versions
from alerts.stats import Measurement, Pooled, has_interval, pool
from alerts.versioning import later_or_equal, parse_specifier, parse_version, same_version
from exchange.json_types import JSONObject
from exchange.models import Member

VersionTest = Callable[[str], bool]

IMPROVED = "improved"
NOT_IMPROVED = "not_improved"
INSUFFICIENT = "insufficient_evidence"


def _side(pooled: Pooled | None) -> JSONObject | None:
    if pooled is None:
        return None
    return {"value": pooled.value, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
            "reports": pooled.n_reports, "sample": pooled.sample}


def fix_verdict(metric: str, affected: Pooled | None, fixed: Pooled | None) -> str:
    """The one rule: intervals only; a figure without an interval decides nothing."""
    if affected is None or fixed is None or not has_interval(affected) or not has_interval(fixed):
        return INSUFFICIENT
    # Turn a lower-is-better metric around, so that "better" is always "higher" below.
    sign = -1.0 if lower_is_better(metric) else 1.0
    _, a_high = sorted((sign * (affected.ci_low or 0.0), sign * (affected.ci_high or 0.0)))
    f_low, f_high = sorted((sign * (fixed.ci_low or 0.0), sign * (fixed.ci_high or 0.0)))
    if f_low > a_high:
        return IMPROVED
    if f_high <= sign * affected.value:
        return NOT_IMPROVED
    return INSUFFICIENT


def _sides(row: AlertTool) -> tuple[VersionTest, VersionTest]:
    """Two predicates on a report's version: affected, and fixed (`fixed_in` and later)."""
    known = known_versions(row.tool_id)
    if known:
        affected = set(row.affected_versions or [])
        fixed = set(later_or_equal(row.fixed_in, known))
        return (lambda v: v in affected), (lambda v: v in fixed)
    spec = parse_specifier(row.versions)
    floor = parse_version(row.fixed_in)

    def is_fixed(version: str) -> bool:
        parsed = parse_version(version)
        if floor is not None and parsed is not None:
            return parsed >= floor
        return same_version(version, row.fixed_in)

    return (lambda v: spec.matches(v) and not is_fixed(v)), is_fixed


def _pooled_sides(reports: list[Report], row: AlertTool) -> dict[str, tuple[list[Measurement], list[Measurement]]]:
    is_affected, is_fixed = _sides(row)
    sides: dict[str, tuple[list[Measurement], list[Measurement]]] = defaultdict(lambda: ([], []))
    for report in reports:
        which = 0 if is_affected(report.tool_version) else 1 if is_fixed(report.tool_version) else None
        if which is None:
            continue
        for m in report.metrics.all():
            if m.subgroup_id is None:
                sides[m.metric][which].append(Measurement(m.value, m.ci_low, m.ci_high, m.numerator, m.denominator))
    return sides


def alert_fix_check(*, alert: Alert, member: Member) -> JSONObject:
    """The fix check of the alert's first affected tool that names `fixed_in` (none: no metrics)."""
    row = next((r for r in alert.affected_tool_rows.select_related("tool") if r.fixed_in), None)
    if row is None:
        return {"alert": str(alert.pk), "tool": None, "fixed_in": None, "metrics": []}
    reports = list(evidence_visible_to(member=member, tool=row.tool).prefetch_related("metrics"))
    metrics = []
    for metric, (affected_rows, fixed_rows) in sorted(_pooled_sides(reports, row).items()):
        affected, fixed = pool(affected_rows), pool(fixed_rows)
        metrics.append({
            "metric": metric, "lower_is_better": lower_is_better(metric),
            "affected": _side(affected), "fixed": _side(fixed),
            "difference": (fixed.value - affected.value) if affected and fixed else None,
            "verdict": fix_verdict(metric, affected, fixed),
        })
    return {"alert": str(alert.pk), "tool": str(row.tool_id), "fixed_in": row.fixed_in,
            "affected_versions": list(row.affected_versions or []), "metrics": metrics}
