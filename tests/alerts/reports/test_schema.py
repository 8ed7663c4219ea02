"""The OpenAPI schema of reports and signals describes what the endpoints accept and answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    generator = SchemaGenerator(patterns=[path("api/v1/", include("alerts.api.urls"))])
    return generator.get_schema(request=None, public=True)


def test_a_report_acknowledgement_is_documented_as_naming_the_report(schema: dict[str, Any]) -> None:
    for method in ("get", "put"):
        ref = schema["paths"]["/api/v1/reports/{id}/acknowledgement/"][method]["responses"]["200"]["content"][
            "application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert "report" in component["required"]
        assert "alert" not in component["properties"]
    inbox_ack = schema["components"]["schemas"]["InboxAcknowledgement"]
    assert {"alert", "report"} <= set(inbox_ack["properties"])
    assert not {"alert", "report"} & set(inbox_ack["required"])


def test_a_report_needs_at_least_one_metric(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["ReportInputRequest"]["properties"]["metrics"]["minItems"] == 1
    assert components["SubgroupInputRequest"]["properties"]["metrics"]["minItems"] == 1


def test_the_import_takes_csv_or_a_multipart_file(schema: dict[str, Any]) -> None:
    content = schema["paths"]["/api/v1/reports/import/"]["post"]["requestBody"]["content"]
    assert set(content) == {"text/csv", "multipart/form-data"}
    upload = schema["components"]["schemas"][content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[1]]
    assert upload["required"] == ["file"]
    assert set(schema["paths"]["/api/v1/reports/import/"]["post"]["responses"]) >= {"201"}
