"""Country and jurisdiction codes under one rule everywhere (SPEC §2): `UK` is a 400 naming the
field and suggesting `GB` — for alerts, reports, authorisations, subscriptions and every filter —
and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import Tool
from tests.alerts.factories import alert_payload
from tests.alerts.reports.conftest import report_payload
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts

Api = Callable[..., ApiCaller]


def _refused(response: object, field: str) -> None:
    body = assert_problem(response, 400, "validation-error")
    assert field in body["errors"], body
    assert "GB" in str(body["errors"][field]), body


def test_uk_is_refused_suggesting_gb_when_writing(network: Network, tool: Tool, api: Api) -> None:
    mhra = api(network.mhra.admin)
    mhra.get("/api/v1/me/")  # the caller's token exists before counting
    counts = row_counts()

    _refused(mhra.post("/api/v1/alerts/", alert_payload(tools=[tool], affected_jurisdictions=["GB", "UK"])),
             "affected_jurisdictions")
    _refused(mhra.post("/api/v1/reports/", report_payload(tool, country="UK")), "country")
    _refused(mhra.post(f"/api/v1/tools/{tool.pk}/authorizations/",
                       {"jurisdiction": "UK", "reference": "UKCA-1", "status": "authorised", "date": "2025-01-01"}),
             "jurisdiction")
    _refused(mhra.post("/api/v1/subscriptions/", {"name": "UK alerts", "event_types": ["alert.published"],
                                                  "jurisdictions": ["UK"]}), "jurisdictions")

    assert row_counts() == counts


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/alerts/", "jurisdiction"),
    ("/api/v1/reports/", "country"),
    ("/api/v1/tools/", "authorised_in"),
])
def test_uk_is_refused_suggesting_gb_in_filters(network: Network, api: Api, path: str, field: str) -> None:
    caller = api(network.fda.viewer)
    _refused(caller.get(f"{path}?{field}=UK"), field)
    assert_problem(caller.get(f"{path}?{field}=XX"), 400, "validation-error")
    assert caller.get(f"{path}?{field}=gb").status_code == 200  # the case of a good code does not matter


def test_the_same_codes_are_accepted_everywhere(network: Network, tool: Tool, api: Api) -> None:
    mhra = api(network.mhra.admin)
    assert mhra.post("/api/v1/alerts/", alert_payload(tools=[tool], affected_jurisdictions=["gb", "EU"])).status_code == 201
    created = mhra.post("/api/v1/subscriptions/", {"name": "GB and EU", "event_types": ["alert.published"],
                                                   "jurisdictions": ["gb", "EU"]})
    assert created.status_code == 201
    assert created.json()["jurisdictions"] == ["GB", "EU"]
