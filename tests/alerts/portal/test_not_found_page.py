"""The service's own 404 page, in DEBUG too (issue #25): an unknown or restricted public reference,
or a path nothing serves, never shows Django's debug page that lists every URL pattern."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from alerts.models import Tool
from tests.alerts.factories import alert_published_make
from tests.factories import Network


@pytest.mark.django_db
def test_unknown_and_restricted_references_get_the_own_404_page_in_debug(
    network: Network, tool: Tool, settings: Any
) -> None:
    settings.DEBUG = True
    restricted = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                      recipients=["FDA"])
    for path in ("/public/alerts/SAX-2026-ZZZZZZ/", f"/public/alerts/{restricted.reference}/", "/no-such-page/"):
        response = Client().get(path)
        body = response.content.decode()
        assert response.status_code == 404, path
        assert "Not found" in body, path
        assert "URLconf" not in body, path
        assert "public/alerts/<str:reference>/" not in body, path
    api = Client().get("/api/v1/no-such-collection/")
    assert api.status_code == 404
    assert api["Content-Type"].startswith("application/problem+json")
