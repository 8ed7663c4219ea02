"""Fixtures for the acknowledgement tests, on top of the five-regulator `network` and the `tool`.

The default alert (tests.alerts.factories.alert_payload) is published by MHRA (GB), distributed to
the whole network, severity high, affecting GB and US: so FDA (US) is asked to acknowledge it, and
HC, TGA and SMC are in its audience without being asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Acknowledgement, Alert, Tool
from alerts.services.acknowledgements import acknowledgement_set
from exchange.models import User
from tests.alerts.factories import alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller, cached_callers


def ack_url(alert: Alert) -> str:
    return f"/api/v1/alerts/{alert.pk}/acknowledgement/"


def acks_url(alert: Alert) -> str:
    return f"/api/v1/alerts/{alert.pk}/acknowledgements/"


def ack_row(alert: Alert, code: str) -> Acknowledgement | None:
    return Acknowledgement.objects.filter(alert=alert, member__code=code).first()


def answer(user: User, alert: Alert, state: str, comment: str = "", **extra: Any) -> Acknowledgement:
    """Acknowledge through the service (for setting up a starting state)."""
    if state == "action_taken" and not comment:
        comment = "Field safety notice forwarded to every deploying hospital."
    return acknowledgement_set(actor=user, alert=alert, state=state, comment=comment, **extra)


@pytest.fixture
def publish(network: Network, tool: Tool) -> Callable[..., Alert]:
    """`publish(actor=MHRA publisher, **overrides)`: a published alert on `tool`."""

    def make(actor: User | None = None, **overrides: Any) -> Alert:
        return alert_published_make(actor=actor or network.mhra.publisher, tools=[tool], **overrides)

    return make


@pytest.fixture
def alert(publish: Callable[..., Alert]) -> Alert:
    """MHRA's network-wide, high-severity alert affecting GB and US: FDA is asked to acknowledge it."""
    return publish()


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> Callable[[str, str], ApiCaller]:
    """`callers("FDA", "assessor")`: an API caller of that member's user of that role (cached per test)."""
    return cached_callers(network, api, default_role="assessor")
