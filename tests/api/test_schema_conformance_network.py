"""Schemathesis over the alert, event, subscription, webhook and notification operations.

The foundation's operations are covered in test_schema_conformance.py, acknowledgements and the
inbox in tests/alerts/acknowledgements, reports and signals in tests/alerts/reports; this module
covers the rest of /api/v1/ with the same checks, against data that makes lists and details real.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis

from alerts.services.alerts import alert_draft_create, alert_publish
from config.wsgi import application
from tests.api.test_schema_conformance import CHECKS
from tests.factories import Network, tool_make

NETWORK_PATHS = (
    r"^/api/v1/(alerts|events|subscriptions|webhook-endpoints|deliveries|notifications|acknowledgement-stats|imdrf-terms)/"
)


def _seed(network: Network) -> None:
    tool = tool_make(actor=network.mhra.publisher)
    for distribution, recipients in (("network", []), ("restricted", ["FDA"]), ("public", [])):
        alert = alert_draft_create(actor=network.mhra.publisher, data={
            "title": f"Schema check {distribution}", "alert_type": "software_defect", "severity": "high",
            "affected_tools": [{"tool": tool.pk, "versions": ">=1.0"}], "affected_jurisdictions": ["GB"],
            "distribution": distribution, "recipients": recipients,
        })
        alert_publish(actor=network.mhra.publisher, alert=alert)


@pytest.fixture
def network_admin_token(
    network: Network, api: Any, settings: Any, wsgi_keeps_the_test_transaction: None
) -> str:
    settings.API_RATE_LIMIT = None
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # generated URLs are never resolved through DNS
    _seed(network)
    return str(api(network.mhra.admin).token)


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(path_regex=NETWORK_PATHS)


@schema.parametrize()
@hypothesis.settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
    database=None,
)
def test_the_network_operations_conform_to_the_schema(case: Any, network_admin_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {network_admin_token}"}, checks=CHECKS)
