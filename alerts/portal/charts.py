"""Server-rendered SVG charts of a tool's performance trend against its declared baselines.

No JavaScript and no charting library: the geometry is computed here from `tool_performance`
(the pooled trend the API serves) and drawn by the template with CSS classes only, so the chart
obeys the strict Content Security Policy and prints. Each chart comes with a data table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from alerts.choices import PROPORTION_METRICS, Metric, lower_is_better
from alerts.stats import Pooled, credibly_worse, has_interval

WIDTH = 820
HEIGHT = 300
LEFT = 56
RIGHT = 250
TOP = 16
BOTTOM = 44
LABEL_GAP = 17  # the least vertical distance between two baseline labels (12–13 px text)


@dataclass
class Point:
    x: float
    y: float
    ci_top: float | None
    ci_bottom: float | None
    label: str
    value: float
    ci_low: float | None
    ci_high: float | None
    reports: int
    sample: int
    worse: bool
    judged: bool = True  # False: no interval, counts or sample: "not enough to judge"
    version: str = ""


@dataclass
class Chart:
    metric: str
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)
    baselines: list[dict[str, Any]] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    path: str = ""
    overall: dict[str, Any] | None = None
    subgroups: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""
    lower_is_better: bool = False
    own_jurisdiction: str = ""
    version_marks: list[dict[str, Any]] = field(default_factory=list)  # where a new version's points start


def _nice_step(span: float) -> float:
    raw = span / 5 if span > 0 else 0.1
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "—"


def _place_labels(lines: list[dict[str, Any]], top: float, bottom: float) -> None:
    """Label positions next to the lines, never closer than LABEL_GAP, kept inside the drawing.

    Down from the top line first (each label at its line, or pushed below the previous one), then
    up from the bottom edge so that the last labels fit; a leader joins a moved label to its line.
    """
    previous = -math.inf
    for line in lines:
        line["label_y"] = max(line["y"] + 4, previous + LABEL_GAP)
        previous = line["label_y"]
    following = math.inf
    for line in reversed(lines):
        line["label_y"] = round(min(line["label_y"], bottom, following - LABEL_GAP), 1)
        following = line["label_y"]
    for line in lines:
        line["label_y"] = round(max(line["label_y"], top), 1)


@dataclass(frozen=True)
class Scale:
    """Maps metric values to the drawing's y, with round ticks."""

    low: float
    high: float
    step: float
    top: int
    bottom: int

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)

    def ticks(self) -> list[tuple[float, str]]:
        ticks = []
        tick = self.low
        while tick <= self.high + self.step / 2:
            ticks.append((round(self.y(tick), 1), _fmt(round(tick, 6))))
            tick += self.step
        return ticks


def _scale(name: str, values: list[float], chart: Chart) -> Scale:
    low, high = min(values), max(values)
    pad = max((high - low) * 0.15, 0.02)
    low, high = low - pad, high + pad
    if name in PROPORTION_METRICS:
        low, high = max(low, 0.0), min(high, 1.0)
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if high <= low:
        high = low + step
    return Scale(low, high, step, chart.plot_top, chart.plot_bottom)


def _series(metric: dict[str, Any], by_version: list[dict[str, Any]] | None) -> list[tuple[str, list[dict[str, Any]]]]:
    """The points to draw, grouped by version where the evidence covers more than one version
    (so that no line joins points across a version change), else one unnamed series of periods."""
    groups = [(v["version"], [p for p in v["periods"] if p.get("value") is not None]) for v in by_version or []]
    groups = [(version, periods) for version, periods in groups if periods]
    if len(groups) > 1:
        return groups
    return [("", [p for p in metric.get("periods") or [] if p.get("value") is not None])]


def _reference(chart: Chart, baselines: list[dict[str, Any]], own_jurisdiction: str) -> tuple[float | None, str]:
    """Judged against the viewer's own jurisdiction's baseline when it declared one, else the least demanding."""
    own = [b["value"] for b in baselines if b["jurisdiction"] == own_jurisdiction]
    if own:
        return own[0], gettext("your jurisdiction's baseline")
    pick = max if chart.lower_is_better else min
    return pick((b["value"] for b in baselines), default=None), gettext("the lowest baseline")


def _judge(name: str, period: dict[str, Any], reference: float | None) -> tuple[bool, bool]:
    """(credibly worse, enough to judge): a figure without an interval is never called worse; "credibly
    worse" is the signals' rule, margin included (`alerts.stats.credibly_worse` with SIGNAL_MARGIN), so a
    point the chart marks is one a signal would raise against the same reference."""
    pooled = Pooled(period["value"], period.get("ci_low"), period.get("ci_high"), period.get("reports", 0),
                    period.get("sample", 0), period.get("method", ""))
    if not has_interval(pooled):
        return False, False
    return reference is not None and credibly_worse(name, pooled, reference, settings.SIGNAL_MARGIN), True


def _place_points(chart: Chart, series: list[tuple[str, list[dict[str, Any]]]], scale: Scale,
                  reference: float | None) -> None:
    count = sum(len(periods) for _, periods in series)
    width = chart.plot_right - chart.plot_left
    xs = iter([chart.plot_left + width / 2] if count == 1 else [
        chart.plot_left + 20 + i * (width - 40) / max(count - 1, 1) for i in range(count)
    ])
    segments = []
    for version, periods in series:
        placed = []
        for period in periods:
            value, ci_low, ci_high = period["value"], period.get("ci_low"), period.get("ci_high")
            worse, judged = _judge(chart.metric, period, reference)
            placed.append(Point(
                x=round(next(xs), 1), y=round(scale.y(value), 1),
                ci_top=round(scale.y(ci_high), 1) if ci_high is not None else None,
                ci_bottom=round(scale.y(ci_low), 1) if ci_low is not None else None,
                label=f"{version} · {period['period']}" if version else period["period"], value=value,
                ci_low=ci_low, ci_high=ci_high, reports=period.get("reports", 0), sample=period.get("sample", 0),
                worse=worse, judged=judged, version=version,
            ))
        if version and placed:
            chart.version_marks.append({"x": round(placed[0].x - 10, 1), "label": version})
        segments.append(" ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(placed)))
        chart.points.extend(placed)
    chart.path = " ".join(segment for segment in segments if segment)
    chart.x_ticks = [(p.x, p.label) for p in chart.points]


def _describe(chart: Chart, baselines: list[dict[str, Any]], reference_name: str) -> str:
    parts = [(gettext("%(metric)s by version and half-year, pooled across the reports your member may see.")
              if chart.version_marks else
              gettext("%(metric)s by half-year, pooled across the reports your member may see.")) % {
                  "metric": chart.title}]
    if chart.points:
        last = chart.points[-1]
        if last.ci_low is not None and last.ci_high is not None:
            parts.append(gettext("Latest (%(period)s): %(value)s, 95%% CI %(low)s–%(high)s.") % {
                "period": last.label, "value": _fmt(last.value), "low": _fmt(last.ci_low), "high": _fmt(last.ci_high)})
        else:
            parts.append(gettext("Latest (%(period)s): %(value)s.") % {"period": last.label, "value": _fmt(last.value)})
    if baselines:
        parts.append(gettext("Declared baselines: %(baselines)s.") % {
            "baselines": ", ".join(b["text"] for b in chart.baselines)})
    worse_count = sum(1 for p in chart.points if p.worse)
    if worse_count:
        parts.append(gettext("%(count)s period(s) credibly worse than %(reference)s.") % {
            "count": worse_count, "reference": reference_name})
    unjudged = sum(1 for p in chart.points if not p.judged)
    if unjudged:
        parts.append(gettext("%(count)s period(s) without an interval: not enough to judge.") % {"count": unjudged})
    return " ".join(parts)


def chart_for(metric: dict[str, Any], own_jurisdiction: str = "",
              by_version: list[dict[str, Any]] | None = None) -> Chart:
    """One metric's chart: points by period (and version), baselines, and a description to read."""
    name = metric["metric"]
    title = dict(Metric.choices).get(name, name)
    series = _series(metric, by_version)
    baselines = metric.get("baselines") or []
    chart = Chart(metric=name, title=str(title), overall=metric.get("overall"),
                  subgroups=metric.get("subgroups") or [], lower_is_better=lower_is_better(name),
                  own_jurisdiction=own_jurisdiction)
    values = [b["value"] for b in baselines]
    for _, periods in series:
        for period in periods:
            values += [v for v in (period["value"], period.get("ci_low"), period.get("ci_high")) if v is not None]
    if not values:
        chart.description = gettext("No published real-world measurement of %(metric)s and no declared baseline.") % {
            "metric": title}
        return chart
    scale = _scale(name, values, chart)
    chart.y_ticks = scale.ticks()
    reference, reference_name = _reference(chart, baselines, own_jurisdiction)
    _place_points(chart, series, scale, reference)
    chart.baselines = [
        {"y": round(scale.y(b["value"]), 1), "jurisdiction": b["jurisdiction"], "value": b["value"],
         "own": b["jurisdiction"] == own_jurisdiction,
         "text": (gettext("%(jurisdiction)s baseline %(value)s (yours)") if b["jurisdiction"] == own_jurisdiction
                  else gettext("%(jurisdiction)s baseline %(value)s")) % {
                      "jurisdiction": b["jurisdiction"], "value": _fmt(b["value"])}}
        for b in baselines
    ]
    chart.baselines.sort(key=lambda b: (b["y"], not b["own"], b["jurisdiction"]))
    _place_labels(chart.baselines, top=chart.plot_top + 4, bottom=chart.height - 6)
    chart.description = _describe(chart, baselines, reference_name)
    return chart


def charts_for(performance: dict[str, Any], own_jurisdiction: str = "") -> list[Chart]:
    def versions_of(metric: str) -> list[dict[str, Any]]:
        found = []
        for entry in performance.get("by_version") or []:
            trend = next((m for m in entry["metrics"] if m["metric"] == metric), None)
            if trend is not None:
                found.append({"version": entry["version"], "periods": trend.get("periods") or []})
        return found

    return [chart_for(metric, own_jurisdiction, versions_of(metric["metric"]))
            for metric in performance.get("metrics") or []]


FIX_WIDTH = 360
FIX_HEIGHT = 150
VERDICT_TEXT = {
    "improved": gettext_lazy("Improved: the fixed versions' interval lies wholly on the better side."),
    "not_improved": gettext_lazy("Not improved: the fixed versions do credibly no better than the affected ones."),
    "insufficient_evidence": gettext_lazy("Not enough to judge: an interval is missing or the intervals overlap."),
}


def fix_chart(row: dict[str, Any]) -> dict[str, Any]:
    """Geometry of one metric's before/after chart of a fix check (two points with their intervals)."""
    sides = [(label, row.get(key)) for label, key in (("Affected", "affected"), ("Fixed", "fixed"))]
    values = [v for _, side in sides if side for v in (side["value"], side["ci_low"], side["ci_high"]) if v is not None]
    chart: dict[str, Any] = {"metric": row["metric"], "title": str(dict(Metric.choices).get(row["metric"], row["metric"])),
                             "width": FIX_WIDTH, "height": FIX_HEIGHT, "points": [], "verdict": row["verdict"],
                             "verdict_text": VERDICT_TEXT[row["verdict"]], "lower_is_better": row["lower_is_better"],
                             "row": row}
    if not values:
        return chart
    holder = Chart(metric=row["metric"], title=chart["title"], height=FIX_HEIGHT, plot_bottom=FIX_HEIGHT - 30)
    scale = _scale(row["metric"], values, holder)
    chart["y_ticks"] = scale.ticks()
    for index, (label, side) in enumerate(sides):
        if not side:
            continue
        x = 120 + index * 140
        chart["points"].append({
            "label": label, "x": x, "y": round(scale.y(side["value"]), 1), "value": side["value"],
            "ci_top": round(scale.y(side["ci_high"]), 1) if side["ci_high"] is not None else None,
            "ci_bottom": round(scale.y(side["ci_low"]), 1) if side["ci_low"] is not None else None,
        })
    return chart
