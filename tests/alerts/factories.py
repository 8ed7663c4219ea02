"""Safety alerts for tests, made through the lifecycle services so every row has its audit entry and event.

`alert_payload(...)` is the JSON a client POSTs to /api/v1/alerts/ (SPEC Appendix A);
`alert_draft_make`, `alert_published_make` and friends call the services with the same data.
"""

from __future__ import annotations

from typing import Any

from alerts.models import Alert, Tool
from alerts.services.alerts import (
    alert_amend,
    alert_close,
    alert_draft_create,
    alert_publish,
    alert_withdraw,
)
from exchange.models import User
from tests.factories import unique


def alert_payload(*, tools: list[Tool], **overrides: Any) -> dict[str, Any]:
    """A complete, valid draft as JSON; `overrides` replace any field."""
    body: dict[str, Any] = {
        "title": "Missed nodules after scanner firmware update",
        "summary": "Sensitivity for sub-6 mm nodules fell after vendor firmware 7.2 was installed.",
        "description": "Post-market surveillance at three sites found missed nodules on reconstructed series.",
        "alert_type": "performance_degradation",
        "severity": "high",
        "affected_tools": [{"tool": str(tool.pk), "versions": ">=2.0,<2.4"} for tool in tools],
        "affected_jurisdictions": ["GB", "US"],
        "hazard": "Delayed diagnosis of lung cancer.",
        "harm": "Missed or late treatment.",
        "recommended_actions": "Double-read CT studies acquired after the firmware update.",
        "imdrf_codes": ["A0901"],
        "publisher_reference": unique("DSI-2026-"),
        "distribution": "network",
        "recipients": [],
    }
    body.update(overrides)
    return body


def _service_data(tools: list[Tool], overrides: dict[str, Any]) -> dict[str, Any]:
    """The payload as the API's serializer would hand it to the service."""
    data = alert_payload(tools=tools, **overrides)
    data["affected_tools"] = [dict(item) for item in data["affected_tools"]]
    return data


def alert_draft_make(*, actor: User, tools: list[Tool], **overrides: Any) -> Alert:
    return alert_draft_create(actor=actor, data=_service_data(tools, overrides))


def alert_published_make(*, actor: User, tools: list[Tool], **overrides: Any) -> Alert:
    return alert_publish(actor=actor, alert=alert_draft_make(actor=actor, tools=tools, **overrides))


def alert_amended_make(
    *, actor: User, alert: Alert, material: bool = True, change_summary: str = "Corrected the affected versions.",
    **changes: Any,
) -> Alert:
    alert.refresh_from_db()
    return alert_amend(
        actor=actor, alert=alert, data=changes or {"summary": unique("Updated summary ")},
        change_summary=change_summary, material=material, if_match=alert.etag,
    )


def alert_closed_make(*, actor: User, tools: list[Tool], **overrides: Any) -> Alert:
    alert = alert_published_make(actor=actor, tools=tools, **overrides)
    return alert_close(actor=actor, alert=alert, resolution="Manufacturer released fixed version 2.4.1.")


def alert_withdrawn_make(*, actor: User, tools: list[Tool], **overrides: Any) -> Alert:
    alert = alert_published_make(actor=actor, tools=tools, **overrides)
    return alert_withdraw(actor=actor, alert=alert, reason="Issued in error: the affected site used another tool.")
