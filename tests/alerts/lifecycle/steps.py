"""Lifecycle steps as an integrator takes them: POST the draft, publish it, read its ETag."""

from __future__ import annotations

import re
from typing import Any

from alerts.models import Tool
from tests.alerts.factories import alert_payload
from tests.helpers import ApiCaller

REFERENCE = re.compile(r"^SAX-(\d{4})-([0-9A-HJKMNP-TV-Z]{6})$")  # six Crockford base32 characters


def api_draft(caller: ApiCaller, tool: Tool, **overrides: Any) -> dict[str, Any]:
    response = caller.post("/api/v1/alerts/", alert_payload(tools=[tool], **overrides))
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def api_published(caller: ApiCaller, tool: Tool, **overrides: Any) -> dict[str, Any]:
    draft = api_draft(caller, tool, **overrides)
    response = caller.post(f"/api/v1/alerts/{draft['id']}/publish/")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def api_etag(caller: ApiCaller, alert_id: str) -> str:
    etag: str = caller.get(f"/api/v1/alerts/{alert_id}/")["ETag"]
    return etag
