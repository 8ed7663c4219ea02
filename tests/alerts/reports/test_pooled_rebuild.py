"""The pooled sums rebuilt by PostgreSQL (alerts.services.pooled_sql, one statement per table) are the
rows the Python rebuild writes — for restricted reports (their audience's classes only, none for a
hostile member), corrected reports (in no sum), drafts, and rows whose weight comes from a reported
interval, from Wilson's on the counts, or from nothing — and the trends read from them are equal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from alerts.models import PooledCell, PooledVersion, Report, ReportMetric, Tool
from alerts.services.pooled import pooled_rebuild, pooled_rebuild_python
from alerts.services.pooled_sql import pooled_rebuild_sql
from exchange.models import Member
from tests.alerts.reports.conftest import counts, performance_url
from tests.helpers import ApiCaller

Rows = dict[tuple[Any, ...], tuple[Any, ...]]


def cells() -> Rows:
    return {(c.tool_id, c.member_id, c.metric, c.version, c.period, c.label):
            (c.rows, c.sane, c.counted, c.k, c.n, c.weighted, c.sw, c.swx, c.sx) for c in PooledCell.objects.all()}


def versions() -> Rows:
    return {(v.tool_id, v.member_id, v.version): (v.reports,) for v in PooledVersion.objects.all()}


def flags() -> set[Any]:
    return set(Report.objects.filter(pooled=True).values_list("pk", flat=True))


def same(python: Rows, sql: Rows) -> None:
    """Equal keys and counts; the float sums equal but for the order of their additions."""
    assert python.keys() == sql.keys()
    for key, row in python.items():
        assert sql[key] == pytest.approx(row, rel=1e-12), key


@pytest.fixture
def busy_network(tool: Tool, other_tool: Tool, make_report: Callable[..., Report]) -> dict[str, Report]:
    """Reports of every kind on two tools, then rows a bulk load could hold (written around the API)."""
    made = {
        "open": make_report("MHRA", metrics=[counts("sensitivity", 80, 100), counts("specificity", 90, 100)]),
        "public": make_report("TGA", distribution="public", period_start="2025-07-01", period_end="2025-12-31",
                              metrics=[{"metric": "sensitivity", "value": 0.8, "ci_low": 0.7, "ci_high": 0.9}]),
        "secret": make_report("FDA", distribution="restricted", recipients=["HC", "SMC"], tool_version="2.0",
                              metrics=[counts("sensitivity", 3, 1000)]),
        "corrected": make_report("MHRA", metrics=[counts("sensitivity", 60, 100)], subgroups=[]),
        "replaced": make_report("HC", metrics=[counts("sensitivity", 70, 100)], subgroups=[]),
        "elsewhere": make_report("SMC", on=other_tool, metrics=[counts("sensitivity", 50, 100)]),
    }
    make_report("MHRA", metrics=[counts("sensitivity", 61, 100)], subgroups=[], distribution="restricted",
                recipients=["HC"], supersedes=str(made["corrected"].pk), supersede_reason="Counted twice.")
    make_report("HC", metrics=[counts("sensitivity", 71, 100)], subgroups=[],
                supersedes=str(made["replaced"].pk), supersede_reason="Counted twice.")
    make_report("FDA", publish=False, metrics=[counts("sensitivity", 1, 100)])  # a draft: in no sum
    odd = made["open"]
    for value, low, high, num, den in [
        (0.5, None, None, None, None),              # no weight at all
        (0.6, float("nan"), 0.7, 6, 10),             # a broken interval: Wilson's on the counts
        (1.0, None, None, 10, 10),                   # all counted: Wilson's upper bound is 1
        (0.0, None, None, 0, 10),                    # none counted: its lower bound is 0
        (0.4, 0.4, 0.4, None, None),                 # an empty interval and no counts: no weight
        (0.3, 0.2999999, 0.3000001, None, None),     # a hair wide: the floor on the standard error
        (2e6, 0.1, 0.2, 5, 10),                      # beyond SANE_LIMIT: counted in rows only
        (float("inf"), None, None, None, None),
        (0.7, None, None, 7, 0),                     # a denominator of 0: no counts, no weight
    ]:
        ReportMetric.objects.create(report=odd, metric="ppv", value=value, ci_low=low, ci_high=high,
                                    numerator=num, denominator=den)
    return made


def test_the_sql_rebuild_writes_the_rows_the_python_rebuild_writes(
    busy_network: dict[str, Report], tool: Tool, callers: Callable[..., ApiCaller]
) -> None:
    pooled = pooled_rebuild_python()
    python = cells(), versions(), flags()
    trends = {code: callers(code, "viewer").get(performance_url(tool)).json() for code in ("HC", "TGA")}
    assert pooled == len(python[2]) == 6  # 8 published, 2 of them corrected
    assert pooled_rebuild_sql() == (pooled, len(python[0]), len(python[1]))
    sql = cells(), versions(), flags()
    same(python[0], sql[0])
    same(python[1], sql[1])
    assert sql[2] == python[2]
    assert not {busy_network["corrected"].pk, busy_network["replaced"].pk} & sql[2]
    hostile = Member.objects.get(code="TGA").pk
    assert not PooledCell.objects.filter(member=hostile).exists()  # TGA sees no restricted report
    secret = {key for key in sql[0] if key[1] == Member.objects.get(code="SMC").pk}
    assert {key[3] for key in secret} == {"2.0"}  # SMC's class holds only FDA's restricted report
    assert {code: callers(code, "viewer").get(performance_url(tool)).json() for code in trends} == trends


def test_a_rebuild_of_some_tools_leaves_the_others_and_matches_python(
    busy_network: dict[str, Report], tool: Tool, other_tool: Tool
) -> None:
    PooledCell.objects.filter(tool=tool).update(k=0, sw=0.0)  # wrong sums on one tool only
    Report.objects.filter(tool=tool).update(pooled=False)
    others = {key: row for key, row in cells().items() if key[0] == other_tool.pk}
    assert pooled_rebuild_sql([tool.pk])[0] == 5
    sql = cells()
    assert {key: row for key, row in sql.items() if key[0] == other_tool.pk} == others
    pooled_rebuild_python([tool.pk])
    same(cells(), sql)


@pytest.mark.parametrize("store_name", ["postgres", "orm"])
def test_pooled_rebuild_takes_the_stores_path(busy_network: dict[str, Report], store_name: str) -> None:
    pooled_rebuild_python()  # the rows written around the service counted too
    before = cells()
    PooledCell.objects.all().delete()
    Report.objects.update(pooled=False)
    with override_settings(DELIVERY_STORE=store_name):
        assert pooled_rebuild() == 6
    same(before, cells())


def test_every_member_s_evidence_in_the_sweep_is_what_the_selector_gives_it(
    busy_network: dict[str, Report], tool: Tool
) -> None:
    """The rule of "current reports" is one: the sweep's reading for every member at once
    (`signal_evidence.evidence_gather`, by audience) gives each member exactly `selectors.evidence_visible_to`
    — with restricted reports, a correction hidden from some members and a draft."""
    from alerts.selectors import evidence_visible_to
    from alerts.services.signal_evidence import evidence_gather

    evidence = evidence_gather(tool)
    seen = {member.code: {pk for i in group for pk in evidence.audiences[i].reports}
            for group, members in evidence.groups.items() for member in members}
    assert seen.keys() == set(Member.objects.filter(status="active").values_list("code", flat=True))
    for member in Member.objects.filter(code__in=seen):
        assert seen[member.code] == set(evidence_visible_to(member=member, tool=tool).values_list("pk", flat=True)), \
            member.code
    # the restricted correction (to HC only) replaces its report for MHRA and HC, not for the others
    assert busy_network["corrected"].pk not in seen["HC"]
    assert busy_network["corrected"].pk in seen["TGA"]
    assert busy_network["secret"].pk in seen["HC"]
    assert busy_network["secret"].pk not in seen["TGA"]
