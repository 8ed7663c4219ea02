"""The tool page's chart geometry: baseline labels never overlap or leave the drawing, and the
viewer's own jurisdiction's baseline is the one emphasised and judged against."""

from __future__ import annotations

import itertools
from typing import Any

from alerts.portal.charts import HEIGHT, LABEL_GAP, chart_for


def _metric(baselines: dict[str, float], periods: list[tuple[str, float, float, float]]) -> dict[str, object]:
    return {
        "metric": "sensitivity",
        "baselines": [{"jurisdiction": j, "value": v} for j, v in baselines.items()],
        "periods": [{"period": p, "value": v, "ci_low": lo, "ci_high": hi, "reports": 1, "sample": 12480}
                    for p, v, lo, hi in periods],
    }


def test_close_baselines_get_labels_apart_and_inside_the_chart() -> None:
    chart = chart_for(_metric({"GB": 0.92, "US": 0.921, "CA": 0.919, "AU": 0.92, "DE": 0.5},
                              [("2025-H2", 0.9, 0.88, 0.92)]), own_jurisdiction="US")
    ys = sorted(line["label_y"] for line in chart.baselines)
    assert all(b - a >= LABEL_GAP - 0.1 for a, b in itertools.pairwise(ys))
    assert all(chart.plot_top <= y <= HEIGHT - 6 for y in ys)


def test_labels_near_the_bottom_are_pushed_up_not_out() -> None:
    chart = chart_for(_metric({"GB": 0.1, "US": 0.1005, "CA": 0.101}, [("2025-H2", 0.9, 0.88, 0.92)]))
    ys = sorted(line["label_y"] for line in chart.baselines)
    assert ys[-1] <= HEIGHT - 6
    assert all(b - a >= LABEL_GAP - 0.1 for a, b in itertools.pairwise(ys))


def test_the_viewer_s_own_baseline_is_emphasised_and_judged_against() -> None:
    # 0.80 is credibly below the US baseline (0.92) by more than the margin (0.05), not below the lowest (0.80).
    metric = _metric({"US": 0.92, "GB": 0.80}, [("2025-H2", 0.80, 0.78, 0.82)])
    mine = chart_for(metric, own_jurisdiction="US")
    assert [line["text"] for line in mine.baselines if line["own"]] == ["US baseline 0.92 (yours)"]
    assert mine.points[0].worse
    assert "credibly worse than your jurisdiction's baseline" in mine.description
    anyone = chart_for(metric, own_jurisdiction="JP")
    assert not any(line["own"] for line in anyone.baselines)
    assert not anyone.points[0].worse


def test_a_point_is_marked_worse_by_the_signals_rule_margin_included(settings: Any) -> None:
    """The chart never contradicts the signal: an interval below the baseline by less than SIGNAL_MARGIN
    is not marked, as no signal is raised for it."""
    settings.SIGNAL_MARGIN = 0.05
    within = chart_for(_metric({"US": 0.92}, [("2025-H2", 0.86, 0.84, 0.88)]), own_jurisdiction="US")
    assert not within.points[0].worse  # 0.88 is below 0.92, but not below 0.92 - 0.05
    settings.SIGNAL_MARGIN = 0.0
    assert chart_for(_metric({"US": 0.92}, [("2025-H2", 0.86, 0.84, 0.88)]), own_jurisdiction="US").points[0].worse


def test_the_drawing_s_numbers_are_svg_numbers_in_every_language_and_the_table_s_are_localised() -> None:
    """`cx="76,0"` (French, Spanish) is no SVG number: the drawing was not drawn. Its numbers are written as
    they are; the data table's values stay in the reader's language."""
    import re

    from django.template.loader import render_to_string
    from django.utils import translation

    chart = chart_for(_metric({"GB": 0.92}, [("2025-H1", 0.905, 0.89, 0.92), ("2025-H2", 0.9, 0.88, 0.92)]))
    for language, table_value in (("en", "0.905"), ("fr", "0,905"), ("es", "0,905"), ("ja", "0.905")):
        with translation.override(language):
            body = render_to_string("alerts/_chart.html", {"chart": chart})
        svg = body[body.index("<svg"):body.index("</svg>")]
        coordinates = re.findall(r' (?:cx|cy|x1|x2|y1|y2|x|y)="([^"]*)"', svg)
        assert coordinates, language
        assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates), (language, coordinates)
        assert f'<td class="num">{table_value}</td>' in body, language
