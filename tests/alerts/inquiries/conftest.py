"""Fixtures for information requests: FDA's network-wide alert on `tool`, and callers by member.

HC asks FDA about FDA's alert; MHRA is in the alert's audience without being asked (the third
member that must not see an `addressees` request anywhere).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Alert, Tool
from tests.alerts.factories import alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller, cached_callers
from tests.portal_support import page

__all__ = ["page"]

Callers = Callable[..., ApiCaller]
URL = "/api/v1/requests/"


def ask(caller: ApiCaller, subject: dict[str, Any], to: list[str], **extra: Any) -> Any:
    body = {"subject": subject, "to": to, "question": "Which scanner firmware versions were in the audit?", **extra}
    return caller.post(URL, body)


def asked(caller: ApiCaller, subject: dict[str, Any], to: list[str], **extra: Any) -> dict[str, Any]:
    response = ask(caller, subject, to, **extra)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> Callers:
    return cached_callers(network, api, default_role="assessor")


@pytest.fixture
def fda_alert(network: Network, tool: Tool) -> Alert:
    """FDA's network-wide alert on LungScan AI (every member sees it)."""
    return alert_published_make(actor=network.fda.publisher, tools=[tool], affected_jurisdictions=["US", "CA"])
