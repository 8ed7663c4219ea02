"""The acknowledgement endpoints conform to the OpenAPI schema (SPEC §6), under generated requests.

Schemathesis generates valid and invalid requests for the inbox, the acknowledgement statistics and
an alert's acknowledgement actions; path ids point at a real alert so that the answers are not all
404s. The publisher (MHRA) calls the publisher's views, the answering member (FDA) the others.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
)

from alerts.models import Alert, Tool
from config.wsgi import application
from tests.alerts.acknowledgements.conftest import answer
from tests.alerts.factories import alert_published_make
from tests.api.test_schema_conformance import CHECKS as FOUNDATION_CHECKS
from tests.factories import Network

ACK_PATHS = r"^/api/v1/(inbox|acknowledgement-stats)/$|^/api/v1/alerts/\{id\}/acknowledgements?/$"
# The foundation's checks, and here also `negative_data_rejection`: these bodies have no field that
# DRF or django-filter coerces, so every invalid request must be refused.
CHECKS = [*FOUNDATION_CHECKS, negative_data_rejection]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application).include(path_regex=ACK_PATHS)


@pytest.fixture
def scene(network: Network, tool: Tool, api: Any, settings: Any, wsgi_keeps_the_test_transaction: None
          ) -> dict[str, Any]:
    settings.API_RATE_LIMIT = None  # hundreds of generated requests share one token
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], affected_jurisdictions=["US", "CA"])
    answer(network.hc.assessor, alert, "assessing")
    alert_published_make(actor=network.mhra.publisher, tools=[tool], severity="critical")
    return {
        "alert": alert,
        "FDA": api(network.fda.admin).token,
        "MHRA": api(network.mhra.admin).token,
    }


def _call(case: Any, alert: Alert, token: str) -> None:
    # Point the path at the real alert unless the case is meant to be invalid there or in its headers
    # (the token below replaces a generated header, so such a case would otherwise turn valid).
    meta = case.meta
    negative_elsewhere = meta is not None and (
        meta.is_negative_at(ParameterLocation.PATH) or meta.is_negative_at(ParameterLocation.HEADER)
    )
    if "id" in (case.path_parameters or {}) and not negative_elsewhere:
        case.path_parameters["id"] = str(alert.pk)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def _caller_for(case: Any) -> str:
    """The publisher (MHRA) for the publisher's views, the answering member (FDA) for the others."""
    return "MHRA" if case.path.endswith("/acknowledgements/") or "stats" in case.path else "FDA"


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_acknowledgement_endpoints_conform_to_the_schema(case: Any, scene: dict[str, Any]) -> None:
    _call(case, scene["alert"], scene[_caller_for(case)])
