"""Payloads (alerts/payloads.py) are what events and webhooks carry: exactly what the REST API shows.

The object inside an event's `data` — feed and webhook body alike — equals the API's GET of it, as
another member reads it. (That each payload is the shape the schema documents:
tests/alerts/test_payload_shapes.py.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from alerts.models import Signal, Tool
from alerts.services.signals import signals_evaluate
from exchange.models import Event
from exchange.services.deliveries import webhook_body
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.alerts.reports.conftest import counts, report_make
from tests.factories import Network
from tests.helpers import ApiCaller


def event_object(event: Event) -> dict[str, Any]:
    """The object inside a webhook's `data` (its envelope keys and an alert's signed revision removed)."""
    data = json.loads(webhook_body(event, 1))["data"]
    extra = ("event_id", "sequence", "link", "amendment", "signed_revision") + (("signature",) if "signed_revision" in data else ())
    return {key: value for key, value in data.items() if key not in extra}


def last_event(object_id: Any, type_: str) -> Event:
    return Event.objects.filter(object_id=str(object_id), type=type_).latest("sequence")


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
