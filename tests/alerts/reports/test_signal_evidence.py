"""The evaluation from sums kept per audience (`signal_evidence`) shows every member exactly what the rule
(`signal_findings.findings_for` over that member's own reports, pooled row by row) shows it — the same
findings, the same pooled figures to the last bit, the same reports behind each — and a signal's links
and the digest it keeps of them follow the evidence as reports arrive, are corrected and are withdrawn.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from alerts.models import (
    Authorization,
    BaselineMetric,
    Report,
    ReportMetric,
    ReportRecipient,
    ReportSubgroup,
    Signal,
    Tool,
)
from alerts.selectors import evidence_visible_to, report_ids_digest, signal_report_digests
from alerts.services.signal_evidence import evidence_gather, group_findings
from alerts.services.signal_findings import baselines_of, findings_for
from alerts.services.signals import signals_evaluate
from alerts.services.versions import known_versions
from exchange.models import Member
from tests.factories import Network

CODES = ("MHRA", "FDA", "HC", "TGA", "SMC")
_serial = itertools.count()

measurement = st.one_of(
    st.tuples(st.integers(1, 400)).flatmap(lambda n: st.tuples(st.integers(0, n[0]), st.just(n[0]))).map(
        lambda kn: {"value": kn[0] / kn[1], "numerator": kn[0], "denominator": kn[1]}),  # counts
    st.tuples(st.floats(0.5, 0.99), st.floats(0.001, 0.2)).map(
        lambda vw: {"value": vw[0], "ci_low": vw[0] - vw[1], "ci_high": vw[0] + vw[1] / 3}),  # an interval
    st.floats(0.0, 1.0).map(lambda v: {"value": v}),  # a bare value: no weight
    st.tuples(st.floats(0.6, 0.9), st.integers(1, 50)).map(lambda vd: {"value": vd[0], "denominator": vd[1]}),
    st.just({"value": 1e7}),  # beyond any metric's range: pool() leaves it out
)
row = st.tuples(st.sampled_from(["sensitivity", "false_alarm_rate"]), st.sampled_from([None, None, "age 70+", "women"]),
                measurement)
report = st.fixed_dictionaries({
    "publisher": st.sampled_from(CODES),
    "distribution": st.sampled_from(["network", "network", "public", "restricted"]),
    "recipients": st.sets(st.sampled_from(CODES), max_size=3),
    "version": st.sampled_from(["1.0", "2.0", "2.1"]),
    "period_end": st.sampled_from([date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30)]),
    "published": st.sampled_from([True, True, True, False]),
    "corrects": st.none() | st.integers(0, 11),
    "rows": st.lists(row, min_size=0, max_size=6),
})


def _tool() -> Tool:
    tool = Tool.objects.create(name=f"Evidence test tool {next(_serial)}", manufacturer="Quillfeather Imaging Ltd",
                               intended_purpose="Flags suspected nodules", clinical_area="radiology")
    for jurisdiction, sensitivity, alarms in (("GB", 0.92, 0.05), ("US", 0.9, 0.08)):
        auth = Authorization.objects.create(tool=tool, jurisdiction=jurisdiction, reference=f"T-{tool.pk}-{jurisdiction}",
                                            status="authorised", date="2025-01-01")
        BaselineMetric.objects.create(authorization=auth, metric="sensitivity", value=sensitivity)
        BaselineMetric.objects.create(authorization=auth, metric="false_alarm_rate", value=alarms)
    return tool


def _report(tool: Tool, network: Network, spec: dict[str, Any], earlier: list[Report]) -> Report:
    corrects = None
    if spec["corrects"] is not None and spec["corrects"] < len(earlier):
        target = earlier[spec["corrects"]]
        taken = Report.objects.filter(supersedes=target, status="published").exists()
        corrects = None if taken and spec["published"] else target
    made = Report.objects.create(
        publisher=network[spec["publisher"]].member, tool=tool, tool_version=spec["version"],
        period_start=date(spec["period_end"].year, spec["period_end"].month - 5, 1), period_end=spec["period_end"],
        setting="Screening", country="GB", sample_size=100, distribution=spec["distribution"],
        status="published" if spec["published"] else "draft", supersedes=corrects)
    if spec["distribution"] == "restricted":
        ReportRecipient.objects.bulk_create([ReportRecipient(report=made, member=network[c].member)
                                             for c in spec["recipients"]])
    subgroups: dict[str, ReportSubgroup] = {}
    for metric, label, values in spec["rows"]:
        if label is not None and label not in subgroups:
            subgroups[label] = ReportSubgroup.objects.create(report=made, label=label)
        subgroup = None if label is None else subgroups[label]
        ReportMetric.objects.create(report=made, subgroup=subgroup, metric=metric, **values)
    return made


def _by_rule(tool: Tool, member: Member, margin: float) -> set[tuple[Any, ...]]:
    reports = list(evidence_visible_to(member=member, tool=tool).prefetch_related("metrics__subgroup"))
    return {(f.key, f.reference_value, f.reference_source, f.pooled, f.report_ids)
            for f in findings_for(tool, reports, margin, baselines_of(tool), known_versions(tool))}


def _by_audience(tool: Tool, margin: float) -> dict[str, set[tuple[Any, ...]]]:
    evidence = evidence_gather(tool)
    shown: dict[str, set[tuple[Any, ...]]] = {}
    for group, members in evidence.groups.items():
        found = group_findings(evidence, group, margin, baselines_of(tool), known_versions(tool))
        for f in found:
            assert f.digest == report_ids_digest(f.report_ids), f.key
        for member in members:
            shown[member.code] = {(f.key, f.reference_value, f.reference_source, f.pooled, f.report_ids) for f in found}
    return shown


@pytest.mark.django_db
@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs=st.lists(report, min_size=1, max_size=12), margin=st.sampled_from([0.0, 0.05]))
def test_every_member_is_shown_what_the_rule_shows_it_over_its_own_reports(
    network: Network, specs: list[dict[str, Any]], margin: float
) -> None:
    tool = _tool()
    made: list[Report] = []
    for spec in specs:
        made.append(_report(tool, network, spec, made))
    shown = _by_audience(tool, margin)
    for member in Member.objects.filter(code__in=CODES):
        assert shown.get(member.code, set()) == _by_rule(tool, member, margin), member.code


def _sensitivity(tool: Tool, network: Network, code: str, k: int, n: int, **extra: Any) -> Report:
    spec = {"publisher": code, "distribution": "network", "recipients": set(), "version": "2.0",
            "period_end": date(2026, 6, 30), "published": True, "corrects": None,
            "rows": [("sensitivity", None, {"value": k / n, "numerator": k, "denominator": n}),
                     ("sensitivity", "age 70+", {"value": (k - n // 10) / n, "numerator": k - n // 10, "denominator": n})],
            **extra}
    return _report(tool, network, spec, [])


def _links_are_the_evidence(tool: Tool) -> None:
    """Every open signal's links are the reports its finding rests on, and its kept digest is theirs."""
    counted = signal_report_digests(tool=tool)
    for signal in Signal.objects.filter(tool=tool, views__status="open").distinct():
        links = set(signal.reports.values_list("pk", flat=True))
        assert (signal.evidence_count, signal.evidence_digest) == report_ids_digest(links) == counted[signal.pk]


@pytest.mark.django_db
def test_a_signal_s_links_follow_one_new_report_corrections_and_restricted_reports(network: Network) -> None:
    margin = float(settings.SIGNAL_MARGIN)
    tool = _tool()
    first = [_sensitivity(tool, network, code, 780, 1000) for code in ("MHRA", "FDA", "HC")]
    signals_evaluate(tool_id=tool.pk)
    _links_are_the_evidence(tool)
    [whole] = Signal.objects.filter(tool=tool, kind="below_baseline")
    assert set(whole.reports.all()) == set(first)

    # One more report: the signal follows it in place.
    added = _sensitivity(tool, network, "TGA", 790, 1000)
    assert signals_evaluate(tool_id=tool.pk)["updated"] >= 1
    whole.refresh_from_db()
    assert set(whole.reports.all()) == {*first, added}
    _links_are_the_evidence(tool)

    # A correction replaces a report for everyone (a network correction): its target leaves the links.
    correction = _sensitivity(tool, network, "MHRA", 770, 1000)
    Report.objects.filter(pk=correction.pk).update(supersedes=first[0])
    signals_evaluate(tool_id=tool.pk)
    whole.refresh_from_db()
    assert set(whole.reports.all()) == {correction, *first[1:], added}
    _links_are_the_evidence(tool)

    # A restricted report and a correction only some members see split the audience.
    hidden_fix = _sensitivity(tool, network, "SMC", 600, 1000, distribution="restricted", recipients={"TGA"})
    Report.objects.filter(pk=hidden_fix.pk).update(supersedes=added)
    secret = _sensitivity(tool, network, "FDA", 700, 1000, distribution="restricted", recipients={"HC"})
    signals_evaluate(tool_id=tool.pk)
    _links_are_the_evidence(tool)
    for member in Member.objects.filter(code__in=CODES):
        expected = {f.report_ids for f in findings_for(
            tool, list(evidence_visible_to(member=member, tool=tool).prefetch_related("metrics__subgroup")), margin)}
        shown = {frozenset(s.reports.values_list("pk", flat=True))
                 for s in Signal.objects.filter(tool=tool, views__member=member, views__status="open")}
        assert shown == expected, member.code
    assert any(secret.pk in ids for ids in map(lambda s: set(s.reports.values_list("pk", flat=True)),
                                               Signal.objects.filter(tool=tool, views__member__code="HC",
                                                                     views__status="open")))


@pytest.mark.django_db
def test_a_signal_whose_kept_digest_disagrees_with_its_links_is_rewritten_from_the_evidence(network: Network) -> None:
    """A digest that no longer matches the links (written around the service) never hides a change: the
    links are read whole and set to the finding's reports."""
    tool = _tool()
    reports = [_sensitivity(tool, network, code, 780, 1000) for code in ("MHRA", "FDA")]
    signals_evaluate(tool_id=tool.pk)
    [whole] = Signal.objects.filter(tool=tool, kind="below_baseline")
    Signal.reports.through.objects.filter(signal=whole, report=reports[0]).delete()
    Signal.objects.filter(pk=whole.pk).update(evidence_count=0, evidence_digest=uuid.uuid4().int >> 65)
    signals_evaluate(tool_id=tool.pk)
    whole.refresh_from_db()
    assert set(whole.reports.all()) == set(reports)
    _links_are_the_evidence(tool)
