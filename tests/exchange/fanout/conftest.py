"""Fixtures for fan-out tests: a real HTTP receiver, fast delivery settings, recorded kicks.

Tasks are not queued from these tests (the broker is exercised by tests/integration): the kicks
that would queue dispatch and delivery pumps are recorded instead, and tests run fan-out and the
delivery pump in-process, against the real receiver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.exchange.fanout import helpers
from tests.integration.receiver import Receiver


@pytest.fixture(autouse=True)
def _delivery_settings(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0, 0]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def kicks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """What would have been queued on the broker: ("dispatch", event_id) or ("pump", deliveries)."""
    from exchange import tasks
    from exchange.services.deliveries import pumps

    calls: list[tuple[str, Any]] = []
    helpers.ADOPTIONS.clear()

    def kick(deliveries: int = 1, countdown: float | None = None, **_: Any) -> None:
        calls.append(("pump", deliveries))

    monkeypatch.setattr(tasks.event_dispatch, "delay", lambda event_id: calls.append(("dispatch", str(event_id))))
    monkeypatch.setattr(pumps, "pumps_queue", kick)
    return calls


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()
