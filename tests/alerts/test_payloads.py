"""Payloads (alerts/payloads.py) are what events and webhooks carry: exactly what the REST API shows.

Two checks: each payload function equals the API serializer's JSON for the same row, across the
shapes a row can take (nulls, subgroups, recipients, supersession, closed and withdrawn alerts); and
the object inside an event's `data` — feed and webhook body alike — equals the API's GET of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rest_framework.renderers import JSONRenderer

from alerts.api.alert_serializers import AlertSerializer, RevisionSerializer
from alerts.api.report_serializers import ReportSerializer, SignalSerializer
from alerts.models import Alert, AlertRevision, Report, Signal, Tool
from alerts.payloads import alert_payload, report_payload, revision_payload, signal_payload
from alerts.selectors import alerts_with_details, reports_with_details, signals_with_details
from alerts.services.signals import signals_evaluate
from exchange.models import Event
from exchange.services.deliveries import webhook_body
from tests.alerts.factories import (
    alert_amended_make,
    alert_closed_make,
    alert_draft_make,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.alerts.reports.conftest import counts, report_make
from tests.factories import Network
from tests.helpers import ApiCaller


def api_json(data: Any) -> Any:
    """What a client reads: the serializer's data through the API's JSON renderer."""
    return json.loads(JSONRenderer().render(data))


def event_object(event: Event) -> dict[str, Any]:
    """The object inside a webhook's `data` (its envelope keys and an alert's signed revision removed)."""
    data = json.loads(webhook_body(event, 1))["data"]
    extra = ("event_id", "sequence", "link", "amendment", "signed_revision") + (("signature",) if "signed_revision" in data else ())
    return {key: value for key, value in data.items() if key not in extra}


def last_event(object_id: Any, type_: str) -> Event:
    return Event.objects.filter(object_id=str(object_id), type=type_).latest("sequence")


def test_alert_payload_is_the_api_shape_in_every_state(network: Network, tool: Tool, other_tool: Tool) -> None:
    actor = network.mhra.publisher
    alerts = [
        alert_draft_make(actor=actor, tools=[tool]),
        alert_published_make(actor=actor, tools=[tool, other_tool], distribution="restricted", recipients=["FDA", "HC"]),
        alert_closed_make(actor=actor, tools=[tool], affected_jurisdictions=[], imdrf_codes=[]),
        alert_withdrawn_make(actor=actor, tools=[other_tool], distribution="public"),
    ]
    alert_amended_make(actor=actor, alert=alerts[1], severity="critical")
    rows = alerts_with_details(Alert.objects.filter(pk__in=[a.pk for a in alerts])).order_by("created_at")
    assert len(rows) == 4
    for row in rows:
        assert alert_payload(row) == api_json(AlertSerializer(row).data)
    for revision in AlertRevision.objects.all():
        assert revision_payload(revision) == api_json(RevisionSerializer(revision).data)


def test_report_and_signal_payloads_are_the_api_shape(network: Network, tool: Tool) -> None:
    first = report_make(by=network.mhra, tool=tool, metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    reports = [
        first,
        report_make(by=network.mhra, tool=tool, supersedes=str(first.pk), supersede_reason="Recounted.",
                    metrics=[counts("sensitivity", 790, 1000)], subgroups=[]),
        report_make(by=network.fda, tool=tool, country="US", distribution="restricted", recipients=["HC"]),
        report_make(by=network.hc, tool=tool, country="CA", publish=False,
                    metrics=[{"metric": "auroc", "value": 0.9}]),
    ]
    rows = reports_with_details(Report.objects.filter(pk__in=[r.pk for r in reports]))
    assert len(rows) == 4
    for row in rows:
        assert report_payload(row) == api_json(ReportSerializer(row).data)

    signals_evaluate(tool_id=tool.pk)
    signals = signals_with_details(Signal.objects.filter(tool=tool))
    assert signals
    for signal in signals:
        assert signal_payload(signal) == api_json(SignalSerializer(signal).data)


def test_webhook_data_is_the_object_as_the_api_shows_it(
    network: Network, tool: Tool, api: Callable[..., ApiCaller]
) -> None:
    actor = network.mhra.publisher
    caller = api(network.fda.viewer)
    alert = alert_published_make(actor=actor, tools=[tool])
    assert event_object(last_event(alert.pk, "alert.published")) == caller.get(f"/api/v1/alerts/{alert.pk}/").json()

    alert_amended_make(actor=actor, alert=alert, hazard="Missed nodules in smokers.")
    event = last_event(alert.pk, "alert.amended")
    assert json.loads(webhook_body(event, 1))["data"]["amendment"]["changed_fields"] == ["hazard"]
    assert event_object(event) == caller.get(f"/api/v1/alerts/{alert.pk}/").json()

    report = report_make(by=network.mhra, tool=tool, metrics=[counts("sensitivity", 700, 1000)], subgroups=[])
    assert event_object(last_event(report.pk, "report.published")) == caller.get(f"/api/v1/reports/{report.pk}/").json()

    signals_evaluate(tool_id=tool.pk)
    signal = Signal.objects.get(tool=tool)
    assert event_object(last_event(signal.pk, "signal.detected")) == caller.get(f"/api/v1/signals/{signal.pk}/").json()
