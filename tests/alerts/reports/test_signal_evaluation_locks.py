"""An evaluation reads a tool's evidence without the chain lock: the network's writes never wait for it.

At scale 1.0 the busiest tool's evidence takes 10-17 s to read; read under the chain lock, every
publication, answer and token in the network waited that long each time a report arrived on it. The
evidence is now read in a read-only snapshot, and only the findings are applied under the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection

from alerts.models import Alert, Report, Signal, Tool
from alerts.services import signal_preparing, signal_reading
from alerts.services import signals as signal_services
from tests.alerts.factories import alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network, authorization_make, tool_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOW = [{"metric": "sensitivity", "value": 0.6, "numerator": 600, "denominator": 1000}]


def _tool_with_evidence(network: Network) -> Tool:
    """A tool whose one network report lies credibly below its baseline (sensitivity 0.92)."""
    made = tool_make(actor=network.mhra.publisher, name="Evaluated tool")
    authorization_make(actor=network.mhra.publisher, tool=made)
    report_make(by=network.mhra, tool=made, subgroups=[], metrics=LOW)
    return made


def _in_another_connection(work: Callable[[], Any], *, within: float = 10.0) -> dict[str, Any]:
    """Run `work` in a thread of its own (its own connection and transaction); wait at most `within`."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            outcome["result"] = work()
        finally:
            outcome["seconds"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=within)
    outcome["finished"] = not thread.is_alive()
    return outcome


@pytest.fixture(autouse=True)
def _no_broker() -> Any:
    with mock.patch("alerts.services.reports.task_named"):  # evaluations run here, not in a worker
        yield


def test_an_alert_is_published_while_a_tools_evidence_is_read(network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _tool_with_evidence(network)
    real = signal_reading.evidence_gather
    during: dict[str, Any] = {}

    def gather_while_publishing(*args: Any, **kwargs: Any) -> Any:
        during.update(_in_another_connection(
            lambda: alert_published_make(actor=network.fda.publisher, tools=[tool], title="Published meanwhile")
        ))
        return real(*args, **kwargs)

    monkeypatch.setattr(signal_reading, "evidence_gather", gather_while_publishing)
    counts = signal_services.signals_evaluate(tool_id=tool.pk)

    assert during["finished"], "publishing waited for the evaluation's reading"
    assert during["seconds"] < 5
    assert Alert.objects.filter(title="Published meanwhile", status="published").exists()
    assert counts["raised"] == 1
    assert Signal.objects.filter(tool=tool, status="open").count() == 1


def test_a_report_published_during_the_reading_is_evaluated_by_the_next_sweep(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = _tool_with_evidence(network)
    real = signal_reading.evidence_gather
    during: dict[str, Any] = {}

    def gather_then_report(*args: Any, **kwargs: Any) -> Any:
        evidence = real(*args, **kwargs)
        during.update(_in_another_connection(
            lambda: report_make(by=network.fda, tool=tool, subgroups=[], metrics=LOW)
        ))
        return evidence

    with monkeypatch.context() as patched:
        patched.setattr(signal_reading, "evidence_gather", gather_then_report)
        signal_services.signals_evaluate(tool_id=tool.pk)
    assert during["finished"], "a report could not be published while the evidence was read"
    late: Report = during["result"]
    signal = Signal.objects.get(tool=tool, status="open")
    assert late.pk not in set(signal.reports.values_list("pk", flat=True))  # the snapshot predates it

    assert tool.pk in set(signal_services.tools_with_new_evidence().values_list("pk", flat=True))
    signal_services.signals_sweep()
    behind = {pk for s in Signal.objects.filter(tool=tool, status="open") for pk in s.reports.values_list("pk", flat=True)}
    assert late.pk in behind


def test_an_evaluation_applied_in_between_makes_the_later_one_read_again(network: Network) -> None:
    tool = _tool_with_evidence(network)
    read = signal_reading.evidence_read_snapshot(tool.pk)
    assert read is not None
    report_make(by=network.fda, tool=tool, subgroups=[], metrics=LOW)
    signal_services.signals_evaluate(tool_id=tool.pk)  # another evaluation, with the new report, came first
    links_before = {s.pk: set(s.reports.values_list("pk", flat=True)) for s in Signal.objects.filter(tool=tool)}

    with mock.patch.object(signal_services, "evidence_read", wraps=signal_reading.evidence_read) as again:
        counts = signal_services._findings_apply(read)

    assert again.called  # the stale snapshot was not applied
    assert counts == {"raised": 0, "updated": 0, "closed": 0}
    assert {s.pk: set(s.reports.values_list("pk", flat=True)) for s in Signal.objects.filter(tool=tool)} == links_before


def test_a_new_signals_links_are_written_while_the_network_publishes(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new finding's signal and links are written before the lock: at scale 1.0 a new signal on the
    busiest tool rests on 146,000 reports, and writing its links under the chain lock held every
    audited write of the network (all the tool's signals at once: 395 s)."""
    monkeypatch.setattr(signal_preparing, "PREPARE_AT_LEAST", 1)
    tool = _tool_with_evidence(network)
    real = signal_preparing.signal_links_new
    during: dict[str, Any] = {}

    def links_while_publishing(signal: Signal, finding: Any) -> None:
        real(signal, finding)
        if not during:
            during.update(_in_another_connection(
                lambda: alert_published_make(actor=network.fda.publisher, tools=[tool], title="Published meanwhile")
            ))

    monkeypatch.setattr(signal_preparing, "signal_links_new", links_while_publishing)
    counts = signal_services.signals_evaluate(tool_id=tool.pk)

    assert during["finished"], "publishing waited for the new signal's links"
    assert during["seconds"] < 5
    assert counts["raised"] == 1
    signal = Signal.objects.get(tool=tool)
    assert (signal.status, signal.prepared) == ("open", False)
    assert set(signal.reports.values_list("pk", flat=True)) == set(Report.objects.filter(tool=tool).values_list("pk", flat=True))
    assert set(signal.views.values_list("member__code", flat=True)) >= {"MHRA", "FDA"}


def test_a_prepared_signal_is_shown_nowhere_and_removed_when_not_raised(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alerts.inquiry_selectors import signals_whole_to
    from alerts.selectors import signals_visible_to

    monkeypatch.setattr(signal_preparing, "PREPARE_AT_LEAST", 1)
    tool = _tool_with_evidence(network)
    read = signal_reading.evidence_read_snapshot(tool.pk)
    assert read is not None
    (signal_id,) = signal_preparing.signals_prepare(read).values()
    assert Signal.objects.get(pk=signal_id).reports.count() == 1
    assert not signals_visible_to(member=network.mhra.member).filter(pk=signal_id).exists()
    assert not signals_whole_to(member=network.mhra.member).filter(pk=signal_id).exists()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the evaluation failed under the lock")

    with monkeypatch.context() as patched:
        patched.setattr(signal_services, "_evaluate", broken)
        with pytest.raises(RuntimeError):
            signal_services.signals_evaluate(tool_id=tool.pk)

    assert not Signal.objects.filter(tool=tool).exists()  # taken up by that evaluation, and removed with it
    assert signal_services.signals_evaluate(tool_id=tool.pk)["raised"] == 1
    assert list(Signal.objects.filter(tool=tool).values_list("prepared", flat=True)) == [False]


def test_an_interrupted_preparation_is_taken_up_by_the_next_evaluation(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 1.0 a first evaluation of the busiest tool writes 14.6 million links, longer than the per-tool
    task's time limit: what one attempt prepared, the next raises instead of writing it again."""
    monkeypatch.setattr(signal_preparing, "PREPARE_AT_LEAST", 1)
    tool = _tool_with_evidence(network)
    read = signal_reading.evidence_read_snapshot(tool.pk)
    assert read is not None
    (signal_id,) = signal_preparing.signals_prepare(read).values()  # an attempt stopped here
    (unmatched_id,) = signal_preparing.signals_prepare(read).values()  # (the same finding: taken again)
    assert unmatched_id == signal_id

    counts = signal_services.signals_evaluate(tool_id=tool.pk)

    assert counts["raised"] == 1
    signal = Signal.objects.get(tool=tool)
    assert (signal.pk, signal.prepared, signal.status) == (signal_id, False, "open")
    assert set(signal.reports.values_list("pk", flat=True)) == set(Report.objects.filter(tool=tool).values_list("pk", flat=True))


def test_a_prepared_signal_no_finding_wants_goes_after_a_while(network: Network, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signal_preparing, "PREPARE_AT_LEAST", 1)
    tool = _tool_with_evidence(network)
    read = signal_reading.evidence_read_snapshot(tool.pk)
    assert read is not None
    (orphan_id,) = signal_preparing.signals_prepare(read).values()
    Signal.objects.filter(pk=orphan_id).update(evidence_digest=12345)  # its finding is gone (evidence changed)

    signal_services.signals_evaluate(tool_id=tool.pk)
    assert Signal.objects.filter(pk=orphan_id).exists()  # not yet: another evaluation may be about to raise it

    monkeypatch.setattr(signal_preparing, "PREPARED_LEFT_AFTER", timedelta(0))
    report_make(by=network.fda, tool=tool, subgroups=[], metrics=LOW)
    signal_services.signals_evaluate(tool_id=tool.pk)
    assert not Signal.objects.filter(pk=orphan_id).exists()
    assert not Signal.objects.filter(tool=tool, prepared=True).exists()
