"""Server-rendered SVG charts of a tool's performance trend against its declared baselines.

No JavaScript and no charting library: the geometry is computed here from `tool_performance`
(the pooled trend the API serves) and drawn by the template with CSS classes only, so the chart
obeys the strict Content Security Policy and prints. Each chart comes with a data table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from alerts.choices import LOWER_IS_BETTER, PROPORTION_METRICS, Metric

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


def chart_for(metric: dict[str, Any], own_jurisdiction: str = "") -> Chart:
    name = metric["metric"]
    title = dict(Metric.choices).get(name, name)
    periods = [p for p in metric.get("periods") or [] if p.get("value") is not None]
    baselines = metric.get("baselines") or []
    chart = Chart(metric=name, title=str(title), overall=metric.get("overall"),
                  subgroups=metric.get("subgroups") or [], lower_is_better=name in LOWER_IS_BETTER,
                  own_jurisdiction=own_jurisdiction)

    values: list[float] = []
    for period in periods:
        values.append(period["value"])
        values.extend(v for v in (period.get("ci_low"), period.get("ci_high")) if v is not None)
    values.extend(b["value"] for b in baselines)
    if not values:
        chart.description = f"No published real-world measurement of {title} and no declared baseline."
        return chart
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

    def y_of(value: float) -> float:
        return chart.plot_bottom - (value - low) / (high - low) * (chart.plot_bottom - chart.plot_top)

    ticks = []
    tick = low
    while tick <= high + step / 2:
        ticks.append((round(y_of(tick), 1), _fmt(round(tick, 6))))
        tick += step
    chart.y_ticks = ticks

    width = chart.plot_right - chart.plot_left
    count = len(periods)
    xs = [chart.plot_left + width / 2] if count == 1 else [
        chart.plot_left + 20 + i * (width - 40) / max(count - 1, 1) for i in range(count)
    ]
    # Judged against the viewer's own jurisdiction's baseline when it declared one, else the least demanding.
    own = [b["value"] for b in baselines if b["jurisdiction"] == own_jurisdiction]
    reference_name = "your jurisdiction's baseline" if own else "the lowest baseline"
    if own:
        reference: float | None = own[0]
    elif chart.lower_is_better:
        reference = max((b["value"] for b in baselines), default=None)
    else:
        reference = min((b["value"] for b in baselines), default=None)
    for x, period in zip(xs, periods, strict=True):
        value, ci_low, ci_high = period["value"], period.get("ci_low"), period.get("ci_high")
        if reference is None:
            worse = False
        elif chart.lower_is_better:
            worse = (ci_low if ci_low is not None else value) > reference
        else:
            worse = (ci_high if ci_high is not None else value) < reference
        chart.points.append(Point(
            x=round(x, 1), y=round(y_of(value), 1),
            ci_top=round(y_of(ci_high), 1) if ci_high is not None else None,
            ci_bottom=round(y_of(ci_low), 1) if ci_low is not None else None,
            label=period["period"], value=value, ci_low=ci_low, ci_high=ci_high,
            reports=period.get("reports", 0), sample=period.get("sample", 0), worse=worse,
        ))
    chart.x_ticks = [(p.x, p.label) for p in chart.points]
    chart.path = " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(chart.points))
    chart.baselines = [
        {"y": round(y_of(b["value"]), 1), "jurisdiction": b["jurisdiction"], "value": b["value"],
         "own": b["jurisdiction"] == own_jurisdiction,
         "text": f"{b['jurisdiction']} baseline {_fmt(b['value'])}"
                 + (" (yours)" if b["jurisdiction"] == own_jurisdiction else "")}
        for b in baselines
    ]
    chart.baselines.sort(key=lambda b: (b["y"], not b["own"], b["jurisdiction"]))
    _place_labels(chart.baselines, top=chart.plot_top + 4, bottom=chart.height - 6)
    parts = [f"{title} by half-year, pooled across the reports your member may see."]
    if chart.points:
        last = chart.points[-1]
        parts.append(f"Latest ({last.label}): {_fmt(last.value)}"
                     + (f", 95% CI {_fmt(last.ci_low)}–{_fmt(last.ci_high)}" if last.ci_low is not None
                        and last.ci_high is not None else "") + ".")
    if baselines:
        parts.append("Declared baselines: " + ", ".join(b["text"] for b in chart.baselines) + ".")
    worse_count = sum(1 for p in chart.points if p.worse)
    if worse_count:
        parts.append(f"{worse_count} period(s) credibly worse than {reference_name}.")
    chart.description = " ".join(parts)
    return chart


def charts_for(performance: dict[str, Any], own_jurisdiction: str = "") -> list[Chart]:
    return [chart_for(metric, own_jurisdiction) for metric in performance.get("metrics") or []]
