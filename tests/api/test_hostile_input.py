"""Bad input is a clear 4xx naming the problem, never a 5xx, never a partial write (SPEC §6 "Bad input").

The specific inputs found in review (issue #10) are pinned here: a poisoned report (value 1e308,
interval ±1e308) through the API and CSV; JSON nested 1,000 deep; a tampered cursor; an
out-of-range offset on the deliveries filter; NUL in the portal's search; bodies over
API_MAX_BODY_BYTES for JSON, CSV and multipart. Plus one tool's failing evaluation leaving the
signal sweep going over the others.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from alerts.models import Report, ReportMetric, Signal, Tool
from alerts.services import signals as signal_services
from tests.alerts.reports.conftest import performance_url, report_make, report_payload
from tests.alerts.reports.test_import import COLUMNS, csv_text, head
from tests.factories import Network, authorization_make, tool_authorised_make, tool_make
from tests.helpers import ApiCaller, assert_problem, row_counts

REPORTS = "/api/v1/reports/"
IMPORT = "/api/v1/reports/import/"

POISON = {"metric": "sensitivity", "value": 1e308, "ci_low": -1e308, "ci_high": 1e308}


@pytest.fixture
def mhra_api(network: Network, api: Any) -> ApiCaller:
    return api(network.mhra.publisher)  # type: ignore[no-any-return]


@pytest.fixture
def tool(network: Network) -> Tool:
    return tool_authorised_make(network=network, by=("MHRA",))


# --- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("metric", "field", "value", "message"), [
    ({**POISON}, "metrics[0].value", None, "outside [0, 1]"),
    ({"metric": "calibration_slope", "value": 1e308}, "metrics[0].value", None, "outside [-100, 100]"),
    ({"metric": "calibration_slope", "value": 0.9, "ci_low": -1e308, "ci_high": 1e308}, "metrics[0].ci_low", None,
     "outside [-100, 100]"),
    ({"metric": "auroc", "value": 1.2}, "metrics[0].value", None, "outside [0, 1]"),
    ({"metric": "specificity", "value": 0.5, "ci_low": 0.6, "ci_high": 0.7}, "metrics[0].value", None,
     "does not contain"),
])
def test_a_poisoned_or_out_of_range_metric_is_a_400_naming_the_field(
    mhra_api: ApiCaller, tool: Tool, metric: dict[str, Any], field: str, value: Any, message: str,
) -> None:
    before = row_counts()
    response = mhra_api.post(REPORTS, report_payload(tool, metrics=[metric], subgroups=[]))
    body = assert_problem(response, 400)
    assert field in body["errors"], body
    assert message in " ".join(body["errors"][field])
    assert row_counts() == before


@pytest.mark.parametrize("raw", ["1e400", "-1e400"])
def test_a_number_that_is_not_finite_is_a_400(mhra_api: ApiCaller, tool: Tool, raw: str) -> None:
    body = json.dumps(report_payload(tool, subgroups=[])).replace('"value": 0.81', f'"value": {raw}')
    response = mhra_api.post(REPORTS, body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert "metrics" in json.dumps(problem["errors"])


def test_a_negative_count_is_a_400(mhra_api: ApiCaller, tool: Tool) -> None:
    metric = {"metric": "sensitivity", "value": 0.5, "numerator": -5, "denominator": 10}
    body = assert_problem(mhra_api.post(REPORTS, report_payload(tool, metrics=[metric], subgroups=[])), 400)
    assert "numerator" in json.dumps(body["errors"])


def test_the_poisoned_report_is_refused_by_csv_import_too(mhra_api: ApiCaller, tool: Tool) -> None:
    rows = [{**head("r1", tool), "metric": "sensitivity", "value": "1e308", "ci_low": "-1e308", "ci_high": "1e308"}]
    before = row_counts()
    response = mhra_api.post(IMPORT, csv_text(rows), content_type="text/csv")
    body = assert_problem(response, 400)
    assert "line 2" in body["errors"]
    assert "outside [0, 1]" in " ".join(body["errors"]["line 2"])
    assert row_counts() == before


def test_a_baseline_outside_its_range_is_a_400(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.fda.publisher)
    response = caller.post(f"/api/v1/tools/{tool.pk}/authorizations/", {
        "jurisdiction": "US", "reference": "K000001", "status": "authorised", "date": "2025-03-01",
        "baseline": [{"metric": "calibration_slope", "value": 1e308}],
    })
    assert_problem(response, 400)


def test_a_poisoned_row_stored_earlier_breaks_neither_the_trend_nor_the_sweep(
    network: Network, api: Any, tool: Tool,
) -> None:
    """Rows written before the bounds existed: the pool leaves them out rather than answering 500."""
    report = report_make(by=network.mhra, tool=tool, subgroups=[])
    ReportMetric.objects.filter(report=report).update(value=1e308, ci_low=-1e308, ci_high=1e308, numerator=None,
                                                      denominator=None)
    response = api(network.hc.viewer).get(performance_url(tool))
    assert response.status_code == 200
    assert "Infinity" not in response.content.decode()
    assert "NaN" not in response.content.decode()
    assert signal_services.signals_sweep()["failed"] == []


def test_one_tools_failure_never_stops_the_sweep_over_the_others(network: Network) -> None:
    tools = [tool_make(actor=network.mhra.publisher, name=f"Sweep tool {i}") for i in range(3)]
    for made in tools:
        authorization_make(actor=network.mhra.publisher, tool=made)  # baseline sensitivity 0.92
        report_make(by=network.mhra, tool=made, subgroups=[],
                    metrics=[{"metric": "sensitivity", "value": 0.6, "numerator": 600, "denominator": 1000}])
    Signal.objects.all().delete()
    real = signal_services.signals_evaluate
    broken = tools[1].pk

    def evaluate(*, tool_id: Any) -> dict[str, int]:
        if str(tool_id) == str(broken):
            raise RuntimeError("injected fault")
        return real(tool_id=tool_id)

    with mock.patch.object(signal_services, "signals_evaluate", side_effect=evaluate):
        result = signal_services.signals_sweep()
    assert result["failed"] == [str(broken)]
    assert result["evaluated"] == 2
    raised = set(Signal.objects.values_list("tool_id", flat=True))
    assert raised == {tools[0].pk, tools[2].pk}


def test_the_sweep_evaluates_each_tool_once(network: Network) -> None:
    made = tool_make(actor=network.mhra.publisher, name="Evaluated once")
    for _ in range(4):
        report_make(by=network.mhra, tool=made, subgroups=[])
    calls: list[Any] = []
    real = signal_services.signals_evaluate
    with mock.patch.object(signal_services, "signals_evaluate",
                           side_effect=lambda *, tool_id: calls.append(tool_id) or real(tool_id=tool_id)):
        signal_services.signals_sweep()
    assert calls.count(made.pk) == 1


# --- size, depth, NUL ---------------------------------------------------------------------------------


def test_bodies_over_the_limit_are_413_for_json_csv_and_multipart(
    mhra_api: ApiCaller, tool: Tool, settings: Any,
) -> None:
    settings.API_MAX_BODY_BYTES = 2000
    big = "x" * 3000
    assert_problem(mhra_api.post(REPORTS, report_payload(tool, data_source=big)), 413, "payload-too-large")
    rows = [{**head("r1", tool, data_source=big), "metric": "sensitivity", "value": "0.8"}]
    assert_problem(mhra_api.post(IMPORT, csv_text(rows), content_type="text/csv"), 413)
    upload = SimpleUploadedFile("reports.csv", csv_text(rows).encode(), content_type="text/csv")
    assert_problem(mhra_api.client.post(IMPORT, {"file": upload}, format="multipart"), 413)
    assert not Report.objects.exists()


def test_a_small_csv_still_imports_streamed(mhra_api: ApiCaller, tool: Tool) -> None:
    rows = [{**head("r1", tool), "metric": "sensitivity", "value": "0.81", "numerator": 810, "denominator": 1000}]
    upload = SimpleUploadedFile("reports.csv", ("\ufeff" + csv_text(rows, COLUMNS)).encode(), content_type="text/csv")
    response = mhra_api.client.post(IMPORT, {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content


def test_a_csv_that_is_not_utf8_is_a_400(mhra_api: ApiCaller, tool: Tool) -> None:
    rows = [{**head("r1", tool, setting="Caf\u00e9"), "metric": "sensitivity", "value": "0.8"}]
    response = mhra_api.post(IMPORT, csv_text(rows).encode("latin-1", errors="replace"), content_type="text/csv")
    assert_problem(response, 400)


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_on_every_json_endpoint(network: Network, api: Any, depth: int) -> None:
    admin = api(network.mhra.admin)
    body = "[" * depth + "]" * depth
    for path in (REPORTS, "/api/v1/alerts/", "/api/v1/subscriptions/", "/api/v1/tools/", "/api/v1/webhook-endpoints/"):
        response = admin.post(path, body, content_type="application/json")
        assert_problem(response, 400)


def test_json_nested_64_deep_is_parsed(mhra_api: ApiCaller) -> None:
    nested: Any = "leaf"
    for _ in range(63):
        nested = [nested]
    response = mhra_api.post("/api/v1/tools/", {"name": nested})
    body = assert_problem(response, 400, "validation-error")
    assert "name" in body["errors"]


def test_a_nul_in_any_json_text_is_a_400_naming_the_field(mhra_api: ApiCaller, tool: Tool) -> None:
    payload = report_payload(tool)
    payload["subgroups"][0]["label"] = "age\x0070+"
    body = assert_problem(mhra_api.post(REPORTS, payload), 400)
    assert "subgroups[0].label" in body["errors"]


@pytest.mark.parametrize("path", ["/api/v1/alerts/?search=%00", "/api/v1/reports/?publisher=MH%00RA",
                                  "/api/v1/tools/?search=a%00b"])
def test_a_nul_in_a_query_parameter_is_a_400(mhra_api: ApiCaller, path: str) -> None:
    body = assert_problem(mhra_api.get(path), 400)
    assert body["errors"]


@pytest.mark.parametrize("path", ["/alerts/?search=%00", "/reports/?search=%00"])
def test_a_nul_in_the_portal_search_is_a_400(network: Network, path: str) -> None:
    client = Client()
    client.force_login(network.mhra.viewer)
    assert client.get(path).status_code == 400


# --- cursors and dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["p=9999-99-99", "p=2026-01-01T00:00:00%2B99:00", "p=\x00", "o=-5&p=x"])
def test_a_tampered_cursor_is_a_400(mhra_api: ApiCaller, position: str) -> None:
    cursor = base64.b64encode(position.encode()).decode()
    for path in ("/api/v1/alerts/", REPORTS, "/api/v1/notifications/", "/api/v1/deliveries/", "/api/v1/signals/",
                 "/api/v1/inbox/"):
        body = assert_problem(mhra_api.get(path, {"cursor": cursor}), 400)
        assert "cursor" in body["errors"]


@pytest.mark.parametrize("param", ["created_after", "created_before"])
@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_an_out_of_range_date_offset_on_the_deliveries_filter_is_a_400(
    mhra_api: ApiCaller, param: str, value: str,
) -> None:
    body = assert_problem(mhra_api.get("/api/v1/deliveries/", {param: value}), 400)
    assert param in body["errors"]


@pytest.mark.parametrize("param", ["published_after", "published_before"])
def test_an_out_of_range_date_offset_on_alert_and_report_filters_is_a_400(mhra_api: ApiCaller, param: str) -> None:
    for path in ("/api/v1/alerts/", REPORTS):
        body = assert_problem(mhra_api.get(path, {param: "0001-01-01T00:00:00+14:00"}), 400)
        assert param in body["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer jeton-\u00e9t\u00e9-\u4e2d", "Bearer \u2603"])
def test_an_authorization_header_beyond_latin_1_is_a_401_not_a_500(header: str) -> None:
    """A client library that sends a token with characters no token has is told so (401), never a 500."""
    response = Client().get("/api/v1/alerts/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert "characters a token never has" in response.json()["detail"]
