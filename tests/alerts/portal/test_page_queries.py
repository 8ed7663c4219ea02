"""The portal's pages cost the same number of queries however large the network (SPEC §7, issue #29).

An alert's page lists every audience member's answer; members that never answered have no row, and
their blank answers must not each read their (empty) history.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, Tool
from exchange.models import User
from tests.alerts.factories import alert_published_make
from tests.factories import Network, member_make

pytestmark = pytest.mark.django_db


def _queries(client: Client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured.captured_queries), response.content.decode()


def test_the_tracker_reads_no_more_queries_for_more_members(
    network: Network, page: Callable[[User], Client], portal_tool: Tool,
) -> None:
    alert: Alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Drift in triage")
    client = page(network.mhra.publisher)
    client.get(f"/alerts/{alert.pk}/")  # warm: the first request fills caches
    before, _ = _queries(client, f"/alerts/{alert.pk}/")
    newcomers = [member_make(code=f"NEW{index}") for index in range(6)]
    after, body = _queries(client, f"/alerts/{alert.pk}/")
    for member in newcomers:  # each a row of the tracker, not asked, with no history
        assert member.code in body
    assert after == before
