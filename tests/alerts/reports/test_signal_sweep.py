"""The periodic signal sweep evaluates only tools with new evidence since their last evaluation;
the full sweep still evaluates every tool with published reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

from django.utils import timezone

from alerts.models import Authorization, Report, Signal, Tool, ToolVersion
from alerts.services import signals as signal_services
from tests.alerts.reports.conftest import report_make
from tests.factories import Network, authorization_make, tool_make

LOW = [{"metric": "sensitivity", "value": 0.6, "numerator": 600, "denominator": 1000}]


def _tools_with_old_evidence(network: Network, count: int) -> list[Tool]:
    """Tools evaluated an hour ago, on evidence written a day ago: nothing new since."""
    tools = [tool_make(actor=network.mhra.publisher, name=f"Swept tool {i}") for i in range(count)]
    for made in tools:
        authorization_make(actor=network.mhra.publisher, tool=made)  # baseline sensitivity 0.92
        report_make(by=network.mhra, tool=made, subgroups=[], metrics=LOW)
    now = timezone.now()
    ids = [t.pk for t in tools]
    Report.objects.filter(tool__in=ids).update(updated_at=now - timedelta(days=1))
    Authorization.objects.filter(tool__in=ids).update(updated_at=now - timedelta(days=1))
    ToolVersion.objects.filter(tool__in=ids).update(created_at=now - timedelta(days=1))
    Tool.objects.filter(pk__in=ids).update(signals_evaluated_at=now - timedelta(hours=1))
    return tools


def _sweep(**kwargs: Any) -> tuple[dict[str, Any], list[Any]]:
    calls: list[Any] = []
    real = signal_services.signals_evaluate

    def evaluate(*, tool_id: Any) -> dict[str, int]:
        calls.append(tool_id)
        return real(tool_id=tool_id)

    with mock.patch.object(signal_services, "signals_evaluate", side_effect=evaluate):
        result = signal_services.signals_sweep(**kwargs)
    return result, calls


def test_a_sweep_with_no_new_evidence_evaluates_nothing_and_the_full_sweep_everything(network: Network) -> None:
    tools = _tools_with_old_evidence(network, 3)
    _result, calls = _sweep()
    assert not set(calls) & {t.pk for t in tools}
    result, calls = _sweep(full=True)
    assert {t.pk for t in tools} <= set(calls)
    assert result["failed"] == []


def test_a_new_report_gets_only_its_tool_evaluated_and_its_signal_raised(network: Network) -> None:
    tools = _tools_with_old_evidence(network, 3)
    Signal.objects.filter(tool__in=tools).delete()
    with mock.patch("alerts.services.reports.task_named"):  # the message after publishing is lost
        report_make(by=network.mhra, tool=tools[1], subgroups=[], metrics=LOW)
    _result, calls = _sweep()
    assert [c for c in calls if c in {t.pk for t in tools}] == [tools[1].pk]
    assert set(Signal.objects.filter(tool__in=tools).values_list("tool_id", flat=True)) == {tools[1].pk}
    evaluated = Tool.objects.get(pk=tools[1].pk).signals_evaluated_at
    assert evaluated is not None
    assert timezone.now() - evaluated < timedelta(minutes=1)


def test_a_tool_never_evaluated_is_evaluated(network: Network) -> None:
    tools = _tools_with_old_evidence(network, 2)
    Tool.objects.filter(pk=tools[0].pk).update(signals_evaluated_at=None)
    _result, calls = _sweep()
    assert tools[0].pk in calls
    assert tools[1].pk not in calls
