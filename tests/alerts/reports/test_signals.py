"""Signals: raised when pooled evidence is credibly worse than declared, updated, closed; seen by the evidence audience.

`tool` declares sensitivity 0.92 in GB and the US; with the default SIGNAL_MARGIN of 0.05 a signal
needs the pooled 95% interval of sensitivity to lie wholly below 0.87.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from alerts.models import Report, Signal, Tool
from alerts.selectors import report_ids_digest, signal_report_digests
from alerts.services.signals import signals_evaluate
from alerts.stats import wilson_interval
from exchange.models import Event
from tests.alerts.reports.conftest import SIGNALS_URL, counts
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller, assert_problem

CODES = ("MHRA", "FDA", "HC", "TGA", "SMC")


def sensitivity_report(make_report: Callable[..., Report], code: str, k: int, n: int, **extra: Any) -> Report:
    country = {"MHRA": "GB", "FDA": "US", "HC": "CA", "TGA": "AU", "SMC": "CH"}[code]
    return make_report(code, country=country, metrics=[counts("sensitivity", k, n)], subgroups=[], **extra)


def detected_events(signal: Signal) -> list[Event]:
    return list(Event.objects.filter(type="signal.detected", object_type="signal", object_id=str(signal.pk)))


def audience_codes(event: Event) -> set[str]:
    return set(event.audience.values_list("code", flat=True))


def signal_ids(caller: ApiCaller, **query: str) -> set[str]:
    response = caller.get(SIGNALS_URL, query)
    assert response.status_code == 200, response.json()
    return {s["id"] for s in response.json()["results"]}


def feed_signal_ids(caller: ApiCaller) -> set[str]:
    response = caller.get("/api/v1/events/", {"type": "signal.detected"})
    assert response.status_code == 200, response.json()
    return {e["data"]["id"] for e in response.json()["results"]}


def test_pooled_sensitivity_below_baseline_raises_one_signal_for_the_whole_network(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    report = sensitivity_report(make_report, "MHRA", 800, 1000)
    assert signals_evaluate(tool_id=tool.pk) == {"raised": 1, "updated": 0, "closed": 0}

    signal = Signal.objects.get(tool=tool)
    assert (signal.kind, signal.metric, signal.subgroup, signal.status) == ("below_baseline", "sensitivity", "", "open")
    assert signal.reference_value == 0.92
    assert signal.reference_source == "baseline declared in GB, US"
    assert signal.pooled_value == pytest.approx(0.8)
    assert (signal.ci_low, signal.ci_high) == pytest.approx(wilson_interval(800, 1000))
    assert (signal.sample, signal.margin) == (1000, 0.05)
    assert set(signal.reports.all()) == {report}

    [event] = detected_events(signal)
    assert event.audience_kind == "members"
    assert audience_codes(event) == set(CODES)
    assert event.payload["id"] == str(signal.pk)
    assert event.facets["tools"] == [str(tool.pk)]
    for code in CODES:
        assert signal_ids(callers(code, "viewer")) == {str(signal.pk)}
        assert feed_signal_ids(callers(code, "viewer")) == {str(signal.pk)}
    detail = callers("SMC", "viewer").get(f"{SIGNALS_URL}{signal.pk}/")
    assert detail.status_code == 200
    assert detail.json()["reports"] == [str(report.pk)]


def test_each_member_sees_the_signal_its_own_evidence_raises(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    """FDA's report restricted to HC: FDA and HC pool both reports; the others pool what they see."""
    network_report = sensitivity_report(make_report, "MHRA", 800, 1000)
    restricted = sensitivity_report(make_report, "FDA", 750, 1000, distribution="restricted", recipients=["HC"])
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 2

    both = Signal.objects.get(tool=tool, reports=restricted)
    assert set(both.reports.all()) == {network_report, restricted}
    assert both.pooled_value == pytest.approx(1550 / 2000)
    network_only = Signal.objects.exclude(pk=both.pk).get(tool=tool)
    assert set(network_only.reports.all()) == {network_report}
    assert network_only.pooled_value == pytest.approx(0.8)
    [event] = detected_events(both)
    assert audience_codes(event) == {"FDA", "HC"}
    [event] = detected_events(network_only)
    assert audience_codes(event) == {"MHRA", "TGA", "SMC"}
    for code in ("FDA", "HC"):
        assert signal_ids(callers(code, "viewer")) == {str(both.pk)}
        assert feed_signal_ids(callers(code, "viewer")) == {str(both.pk)}
    for code in ("MHRA", "TGA", "SMC"):  # nothing of FDA's restricted report reaches them
        assert signal_ids(callers(code, "viewer")) == {str(network_only.pk)}
        assert feed_signal_ids(callers(code, "viewer")) == {str(network_only.pk)}
        assert_problem(callers(code, "viewer").get(f"{SIGNALS_URL}{both.pk}/"), 404)


def test_new_evidence_updates_the_open_signal_without_raising_another(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    first = sensitivity_report(make_report, "MHRA", 800, 1000)
    signals_evaluate(tool_id=tool.pk)
    signal = Signal.objects.get(tool=tool)
    raised_at = signal.updated_at

    second = sensitivity_report(make_report, "TGA", 820, 1000)
    assert signals_evaluate(tool_id=tool.pk) == {"raised": 0, "updated": 1, "closed": 0}
    assert Signal.objects.filter(tool=tool).count() == 1
    signal.refresh_from_db()
    assert signal.status == "open"
    assert signal.pooled_value == pytest.approx(1620 / 2000)
    assert signal.sample == 2000
    assert (signal.ci_low, signal.ci_high) == pytest.approx(wilson_interval(1620, 2000))
    assert set(signal.reports.all()) == {first, second}
    assert signal.updated_at > raised_at
    assert len(detected_events(signal)) == 1
    assert signals_evaluate(tool_id=tool.pk) == {"raised": 0, "updated": 0, "closed": 0}  # nothing new


def test_good_evidence_closes_the_signal(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    sensitivity_report(make_report, "MHRA", 800, 1000)
    signals_evaluate(tool_id=tool.pk)
    sensitivity_report(make_report, "SMC", 9800, 10000)
    assert signals_evaluate(tool_id=tool.pk) == {"raised": 0, "updated": 0, "closed": 1}

    signal = Signal.objects.get(tool=tool)
    assert signal.status == "closed"
    assert signal.closed_at is not None
    viewer = callers("HC", "viewer")
    assert signal_ids(viewer, status="open") == set()
    assert signal_ids(viewer, status="closed") == {str(signal.pk)}


def test_a_correction_that_supersedes_the_bad_report_closes_the_signal(
    network: Network, tool: Tool, make_report: Callable[..., Report]
) -> None:
    bad = sensitivity_report(make_report, "MHRA", 800, 1000)
    signals_evaluate(tool_id=tool.pk)
    sensitivity_report(make_report, "MHRA", 950, 1000, supersedes=str(bad.pk),
                       supersede_reason="Follow-up found the 'missed' cancers were interval cancers.")
    assert signals_evaluate(tool_id=tool.pk)["closed"] == 1


def test_evidence_within_the_margin_raises_nothing(tool: Tool, make_report: Callable[..., Report]) -> None:
    sensitivity_report(make_report, "MHRA", 900, 1000)  # 95% CI 0.880–0.917: not wholly below 0.87
    assert signals_evaluate(tool_id=tool.pk) == {"raised": 0, "updated": 0, "closed": 0}
    assert not Signal.objects.exists()


def test_a_draft_is_no_evidence(tool: Tool, make_report: Callable[..., Report]) -> None:
    sensitivity_report(make_report, "MHRA", 500, 1000, publish=False)
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 0


def test_signal_margin_setting_changes_the_outcome(tool: Tool, make_report: Callable[..., Report]) -> None:
    sensitivity_report(make_report, "MHRA", 840, 1000)  # 95% CI 0.816–0.861
    with override_settings(SIGNAL_MARGIN=0.07):  # needs the interval below 0.85: no
        assert signals_evaluate(tool_id=tool.pk)["raised"] == 0
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 1  # default 0.05: below 0.87
    assert Signal.objects.get(tool=tool).margin == 0.05
    with override_settings(SIGNAL_MARGIN=0.07):  # a wider margin no longer supports the open signal
        assert signals_evaluate(tool_id=tool.pk)["closed"] == 1


def test_the_least_demanding_declared_baseline_is_the_reference(
    network: Network, tool: Tool, make_report: Callable[..., Report]
) -> None:
    authorization_make(actor=network.hc.publisher, tool=tool, baseline=[{"metric": "sensitivity", "value": 0.85}])
    sensitivity_report(make_report, "MHRA", 800, 1000)  # below 0.87 but not below 0.85 − 0.05
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 0
    sensitivity_report(make_report, "TGA", 600, 1000)
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 1
    signal = Signal.objects.get(tool=tool)
    assert (signal.reference_value, signal.reference_source) == (0.85, "baseline declared in CA")


def test_a_subgroup_credibly_worse_than_the_whole_raises_a_subgroup_signal(
    tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    report = make_report(
        "MHRA", metrics=[counts("sensitivity", 900, 1000)],
        subgroups=[{"label": "age 70+", "dimension": "age band", "metrics": [counts("sensitivity", 60, 100)]}],
    )
    assert signals_evaluate(tool_id=tool.pk)["raised"] == 1
    signal = Signal.objects.get(tool=tool)
    assert (signal.kind, signal.metric, signal.subgroup) == ("subgroup_worse", "sensitivity", "age 70+")
    assert signal.reference_value == pytest.approx(0.9)  # the whole population's pooled value
    assert signal.pooled_value == pytest.approx(0.6)
    assert set(signal.reports.all()) == {report}
    assert len(detected_events(signal)) == 1
    assert signal_ids(callers("TGA", "viewer"), kind="subgroup_worse") == {str(signal.pk)}


@pytest.fixture
def alarm_tool(network: Network) -> Tool:
    """A sepsis predictor that declared a false alarm rate of 0.10 in GB: lower is better."""
    tool = tool_make(actor=network.mhra.publisher, name="SepsisWatch Predict", clinical_area="critical_care",
                     manufacturer="Halloran Vantis Health")
    authorization_make(actor=network.mhra.publisher, tool=tool,
                       baseline=[{"metric": "false_alarm_rate", "value": 0.10}])
    return tool


def test_a_lower_is_better_metric_signals_when_it_rises_above_the_baseline(
    alarm_tool: Tool, make_report: Callable[..., Report]
) -> None:
    make_report("MHRA", on=alarm_tool, metrics=[counts("false_alarm_rate", 20, 1000)], subgroups=[])
    assert signals_evaluate(tool_id=alarm_tool.pk)["raised"] == 0  # far fewer false alarms: good, not a signal

    make_report("FDA", on=alarm_tool, country="US", metrics=[counts("false_alarm_rate", 480, 1000)], subgroups=[])
    assert signals_evaluate(tool_id=alarm_tool.pk)["raised"] == 1  # pooled 500/2000 = 0.25 > 0.10 + 0.05
    signal = Signal.objects.get(tool=alarm_tool)
    assert (signal.metric, signal.kind, signal.reference_value) == ("false_alarm_rate", "below_baseline", 0.10)
    assert signal.pooled_value == pytest.approx(0.25)
    assert signal.ci_low > 0.15


@pytest.mark.django_db
def test_evaluating_a_tool_that_is_gone_returns_quietly() -> None:
    assert signals_evaluate(tool_id="00000000-0000-4000-8000-000000000000") == {"raised": 0, "updated": 0, "closed": 0}


def test_publishing_queues_the_evaluation_on_commit(
    network: Network, tool: Tool, make_report: Callable[..., Report], monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The task runs only once the publication commits; here it is run in-process instead of by a worker."""
    import alerts.tasks
    import exchange.tasks

    queued: list[str] = []
    monkeypatch.setattr(alerts.tasks.signals_evaluate, "delay", lambda tool_id: queued.append(tool_id))
    monkeypatch.setattr(exchange.tasks.event_dispatch, "delay", lambda event_id: None)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sensitivity_report(make_report, "MHRA", 800, 1000)
    assert queued == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert queued == [str(tool.pk)]


def test_publishing_survives_a_broker_that_refuses_the_task(
    tool: Tool, make_report: Callable[..., Report], monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    import alerts.tasks
    import exchange.tasks

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    # The broker refuses the message itself: the tasks' one guard (QueuedTask) logs it, nothing fails.
    monkeypatch.setattr(alerts.tasks.signals_evaluate.app, "send_task", refuse)
    monkeypatch.setattr(exchange.tasks.event_dispatch, "delay", lambda event_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        report = sensitivity_report(make_report, "MHRA", 800, 1000)
    report.refresh_from_db()
    assert report.status == "published"


@pytest.mark.postgres
def test_the_database_digests_a_signals_reports_as_the_evaluation_does(
    tool: Tool, make_report: Callable[..., Report]
) -> None:
    """An evaluation compares report sets by digest (how many, Σ of each id's first 64 bits, signed):
    the sum PostgreSQL makes over a signal's links equals Python's, for ids on both sides of the sign bit."""
    for code in ("MHRA", "FDA", "HC"):
        sensitivity_report(make_report, code, 800, 1000)
    signals_evaluate(tool_id=tool.pk)
    signal = Signal.objects.get(tool=tool)
    crafted = [uuid.UUID("ffffffff-ffff-ffff-0000-000000000001"), uuid.UUID("80000000-0000-0000-ffff-ffffffffffff"),
               uuid.UUID("7fffffff-ffff-ffff-ffff-ffffffffffff")]
    links = list(Signal.reports.through.objects.filter(signal=signal).order_by("report_id"))
    for link, pk in zip(links, crafted, strict=True):  # the foreign key is checked at the test's end
        Signal.reports.through.objects.filter(pk=link.pk).update(report_id=pk)
    assert report_ids_digest(crafted) == (3, -1 - (1 << 63) + (1 << 63) - 1)
    assert signal_report_digests(tool=tool) == {signal.pk: report_ids_digest(crafted)}
    for link in links:  # the real reports back, before the foreign keys are checked
        Signal.reports.through.objects.filter(pk=link.pk).update(report_id=link.report_id)
    assert signal_report_digests(tool=tool) == {signal.pk: report_ids_digest(r.pk for r in signal.reports.all())}
