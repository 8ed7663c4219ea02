"""The pooled sums (alerts.services.pooled): the trend reads them, and no sum a member reads holds a
report it may not see — a restricted report (in its audience's classes only), or one a correction
removes for some members only (in no sum at all). Each test runs with both stores' additions
(`store`: PostgreSQL's one statement, and the ORM's update-or-create the embedded SQLite default uses)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import PooledCell, PooledVersion, Report, Tool
from alerts.services.pooled import pooled_rebuild
from alerts.stats import Measurement, pool
from exchange.models import Member
from tests.alerts.reports.conftest import counts, performance_url
from tests.factories import Network
from tests.helpers import ApiCaller


def trend(caller: ApiCaller, tool: Tool) -> dict[str, Any]:
    response = caller.get(performance_url(tool))
    assert response.status_code == 200, response.json()
    return response.json()


def overall(body: dict[str, Any], metric: str = "sensitivity") -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["metric"] == metric)["overall"]


def sums(tool: Tool, code: str | None = None) -> dict[tuple[str, str, str, str | None], tuple[int, int, int, int]]:
    """One audience class's sums: the open class (None), or a member's own."""
    member = Member.objects.get(code=code) if code else None
    return {(c.metric, c.version, c.period, c.label): (c.rows, c.sane, c.k, c.n)
            for c in PooledCell.objects.filter(tool=tool, member=member, rows__gt=0)}


def test_a_restricted_report_is_summed_only_for_its_audience_and_never_reaches_a_hostile_members_trend(
    store: str, tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    make_report("MHRA", metrics=[counts("sensitivity", 80, 100)], subgroups=[])
    secret = make_report("FDA", metrics=[counts("sensitivity", 3, 1000)], subgroups=[],
                         distribution="restricted", recipients=["HC"])
    assert Report.objects.get(pk=secret.pk).pooled
    assert sums(tool) == {("sensitivity", "2.1", "2026-H1", None): (1, 1, 80, 100)}  # the open class
    assert sums(tool, "FDA") == sums(tool, "HC") == {("sensitivity", "2.1", "2026-H1", None): (1, 1, 3, 1000)}
    assert sums(tool, "TGA") == sums(tool, "MHRA") == {}
    assert sorted(PooledVersion.objects.filter(tool=tool).values_list("member__code", "version", "reports"),
                  key=str) == [("FDA", "2.1", 1), ("HC", "2.1", 1), (None, "2.1", 1)]
    hostile = overall(trend(callers("TGA", "viewer"), tool))
    assert (hostile["value"], hostile["reports"], hostile["sample"]) == (pytest.approx(0.8), 1, 100)
    recipient = overall(trend(callers("HC", "viewer"), tool))
    assert (recipient["reports"], recipient["sample"]) == (2, 1100)  # the sums plus HC's live part


def test_a_correction_seen_by_some_takes_the_report_out_of_the_sums_for_everyone(
    store: str, tool: Tool, network: Network, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    original = make_report("MHRA", metrics=[counts("sensitivity", 80, 100)], subgroups=[])
    make_report("MHRA", metrics=[counts("sensitivity", 50, 100)], subgroups=[], distribution="restricted",
                recipients=["HC"], supersedes=str(original.pk), supersede_reason="Counted twice.")
    assert not Report.objects.get(pk=original.pk).pooled  # out of every sum: read live, member by member
    assert sums(tool) == {}
    assert sums(tool, "HC") == sums(tool, "MHRA") == {("sensitivity", "2.1", "2026-H1", None): (1, 1, 50, 100)}
    seen = overall(trend(callers("HC", "viewer"), tool))
    assert (seen["value"], seen["reports"]) == (pytest.approx(0.5), 1)  # the correction replaces it
    unseen = overall(trend(callers("TGA", "viewer"), tool))
    assert (unseen["value"], unseen["reports"]) == (pytest.approx(0.8), 1)  # a hidden correction changes nothing


def test_a_network_correction_replaces_the_report_in_the_sums(
    store: str, tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    original = make_report("MHRA", metrics=[counts("sensitivity", 80, 100)], subgroups=[])
    make_report("MHRA", metrics=[counts("sensitivity", 70, 100)], subgroups=[],
                supersedes=str(original.pk), supersede_reason="Counted twice.")
    assert sums(tool) == {("sensitivity", "2.1", "2026-H1", None): (1, 1, 70, 100)}
    assert overall(trend(callers("TGA", "viewer"), tool))["value"] == pytest.approx(0.7)


def test_intervals_without_counts_pool_from_the_sums_as_from_the_rows(
    store: str, tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    given = [(0.81, 0.78, 0.84), (0.74, 0.70, 0.79), (0.90, 0.80, 0.95)]
    for value, low, high in given:
        make_report("MHRA", subgroups=[], metrics=[{"metric": "sensitivity", "value": value, "ci_low": low,
                                                     "ci_high": high}])
    make_report("MHRA", subgroups=[], metrics=[counts("sensitivity", 30, 40)])  # weighted by its Wilson interval
    rows = [Measurement(v, lo, hi) for v, lo, hi in given] + [Measurement(0.75, None, None, 30, 40)]
    expected = pool(rows)
    assert expected is not None
    assert expected.method == "inverse_variance"
    got = overall(trend(callers("FDA", "viewer"), tool))
    assert got["method"] == "inverse_variance"
    assert (got["value"], got["ci_low"], got["ci_high"], got["sample"]) == pytest.approx(
        (expected.value, expected.ci_low, expected.ci_high, 40))


def test_reports_loaded_around_the_service_are_read_live_then_rebuilt_into_the_same_sums(
    store: str, tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    make_report("MHRA", metrics=[counts("sensitivity", 80, 100)])
    make_report("FDA", metrics=[counts("sensitivity", 60, 100)], period_start="2026-07-01", period_end="2026-12-31")
    before, answer = sums(tool), trend(callers("SMC", "viewer"), tool)
    Report.objects.update(pooled=False)  # as a bulk load leaves them
    PooledCell.objects.all().delete()
    PooledVersion.objects.all().delete()
    assert trend(callers("SMC", "viewer"), tool) == answer
    assert pooled_rebuild() == 2
    assert sums(tool) == before
    assert trend(callers("SMC", "viewer"), tool) == answer
