"""A hidden report changes nothing another member is shown (SPEC §2 Signal, §3).

The side channels found in review (issue #10): a correction restricted to FDA superseding a network
report made HC's pooled trend drop the original (revealing the hidden correction, its time and its
direction) while HC still read the original at its own URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Report, Tool
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
