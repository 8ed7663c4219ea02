"""A hidden report changes nothing another member is shown (SPEC §2 Signal, §3).

The side channels found in review (issue #10): a correction restricted to FDA superseding a network
report made HC's pooled trend drop the original (revealing the hidden correction, its time and its
direction) while HC still read the original at its own URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Report, Signal, Tool
from alerts.services.signals import signals_evaluate
from exchange.models import Event
from tests.alerts.reports.conftest import counts, performance_url
from tests.helpers import ApiCaller


def sensitivity(caller: ApiCaller, tool: Tool) -> dict[str, Any]:
    response = caller.get(performance_url(tool))
    assert response.status_code == 200
    body = response.json()
    [metric] = [m for m in body["metrics"] if m["metric"] == "sensitivity"]
    return {"reports": body["reports"], **metric["overall"]}


def test_a_hidden_correction_does_not_remove_the_corrected_report_from_hcs_pool(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller],
) -> None:
    original = make_report("MHRA", metrics=[counts("sensitivity", 80, 100)], subgroups=[])
    hc_before = sensitivity(callers("HC", "viewer"), tool)

    make_report("MHRA", metrics=[counts("sensitivity", 95, 100)], subgroups=[], supersedes=str(original.pk),
                supersede_reason="Recount.", distribution="restricted", recipients=["FDA"])

    assert sensitivity(callers("HC", "viewer"), tool) == hc_before  # nothing moved for HC
    assert hc_before["value"] == pytest.approx(0.8)
    for code in ("FDA", "MHRA"):  # they see the correction, and it replaces the original in their pool
        seen = sensitivity(callers(code, "viewer"), tool)
        assert (seen["reports"], seen["value"]) == (1, pytest.approx(0.95))


# --- signals ------------------------------------------------------------------------------------------

SIGNALS = "/api/v1/signals/"


def shown(caller: ApiCaller) -> dict[str, dict[str, Any]]:
    response = caller.get(SIGNALS)
    assert response.status_code == 200
    return {s["id"]: s for s in response.json()["results"]}


def sens(make_report: Callable[..., Report], code: str, k: int, n: int, **extra: Any) -> Report:
    country = {"MHRA": "GB", "FDA": "US", "HC": "CA", "TGA": "AU", "SMC": "CH"}[code]
    return make_report(code, country=country, metrics=[counts("sensitivity", k, n)], subgroups=[], **extra)


def test_a_report_hidden_from_hc_never_closes_the_signal_hc_sees(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller],
) -> None:
    sens(make_report, "MHRA", 800, 1000)
    signals_evaluate(tool_id=tool.pk)
    hc_before = shown(callers("HC", "viewer"))
    [signal_id] = hc_before
    assert hc_before[signal_id]["status"] == "open"

    # FDA's excellent report, restricted to MHRA, would close the signal on the pool they see.
    sens(make_report, "FDA", 9900, 10000, distribution="restricted", recipients=["MHRA"])
    signals_evaluate(tool_id=tool.pk)

    assert shown(callers("HC", "viewer")) == hc_before  # same signal, same figures, same times, still open
    for code in ("MHRA", "FDA"):
        seen = shown(callers(code, "viewer"))
        assert seen[signal_id]["status"] == "closed"
        assert seen[signal_id]["closed_at"] is not None
        assert [s for s in seen.values() if s["status"] == "open"] == []
    assert Signal.objects.get(pk=signal_id).status == "open"  # open for HC, TGA, SMC


def test_a_report_hidden_from_hc_never_raises_or_changes_what_hc_sees(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller],
) -> None:
    sens(make_report, "MHRA", 900, 1000)  # within the margin: nothing to see
    signals_evaluate(tool_id=tool.pk)
    assert shown(callers("HC", "viewer")) == {}

    bad = sens(make_report, "FDA", 500, 1000, distribution="restricted", recipients=["MHRA"])
    signals_evaluate(tool_id=tool.pk)
    assert shown(callers("HC", "viewer")) == {}  # never raised for HC
    assert Event.objects.filter(type="signal.detected", audience__code="HC").count() == 0
    for code in ("MHRA", "FDA"):
        [signal] = shown(callers(code, "viewer")).values()
        assert str(bad.pk) in signal["reports"]
        assert signal["status"] == "open"

    # Now network evidence raises a signal for everyone; HC's rests on network reports alone.
    sens(make_report, "TGA", 700, 1000)
    signals_evaluate(tool_id=tool.pk)
    [hc_signal] = shown(callers("HC", "viewer")).values()
    assert str(bad.pk) not in hc_signal["reports"]
    assert hc_signal["pooled_value"] == pytest.approx(1600 / 2000)
    [mhra_open] = [s for s in shown(callers("MHRA", "viewer")).values() if s["status"] == "open"]
    assert mhra_open["pooled_value"] == pytest.approx(2100 / 3000)
    assert mhra_open["id"] != hc_signal["id"]


def test_evaluation_costs_the_same_queries_whatever_the_number_of_members(
    tool: Tool, make_report: Callable[..., Report],
) -> None:
    """Members are grouped by evidence in Python: no query per member (bench/signals.py times 50 members)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import member_make

    sens(make_report, "MHRA", 800, 1000)
    sens(make_report, "FDA", 810, 1000, distribution="restricted", recipients=["HC"])
    signals_evaluate(tool_id=tool.pk)
    with CaptureQueriesContext(connection) as five:
        signals_evaluate(tool_id=tool.pk)
    for _ in range(20):
        member_make()
    signals_evaluate(tool_id=tool.pk)  # the new members get their views of the network signal
    with CaptureQueriesContext(connection) as twenty_five:
        assert signals_evaluate(tool_id=tool.pk) == {"raised": 0, "updated": 0, "closed": 0}
    assert len(twenty_five) == len(five)
