"""Fixtures for performance reports and signals, on top of the five-regulator `network`.

`tool` (from tests/alerts/conftest.py) is LungScan AI, authorised in GB and the US with a declared
sensitivity of 0.92 and specificity of 0.88. Reports are made through the services with the data
the API's input serializer would hand them (`report_payload` is the JSON of SPEC Appendix A), so
every row has its audit entry and event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.api.report_serializers import ReportInputSerializer
from alerts.models import Report, Tool
from alerts.services.reports import report_draft_create, report_publish
from tests.factories import Network, Regulator
from tests.helpers import ApiCaller, cached_callers

REPORTS_URL = "/api/v1/reports/"
SIGNALS_URL = "/api/v1/signals/"


def report_url(report: Report | str) -> str:
    return f"{REPORTS_URL}{getattr(report, 'pk', report)}/"


def performance_url(tool: Tool) -> str:
    return f"/api/v1/tools/{tool.pk}/performance/"


def counts(metric: str, numerator: int, denominator: int, **extra: Any) -> dict[str, Any]:
    """One proportion metric given by its counts (the service computes a Wilson interval)."""
    return {"metric": metric, "value": numerator / denominator, "numerator": numerator,
            "denominator": denominator, **extra}


def report_payload(tool: Tool, /, **overrides: Any) -> dict[str, Any]:
    """A complete, valid report on `tool` as JSON (SPEC Appendix A); `overrides` replace any field."""
    body: dict[str, Any] = {
        "tool": str(tool.pk),
        "tool_version": "2.1",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "setting": "Breast screening programme",
        "country": "GB",
        "population": "Women 50–71",
        "sample_size": 12000,
        "method": "Prospective audit against double reading",
        "data_source": "Screening programme audit database",
        "metrics": [
            {"metric": "sensitivity", "value": 0.81, "ci_low": 0.78, "ci_high": 0.84, "numerator": 810,
             "denominator": 1000},
        ],
        "subgroups": [
            {"label": "age 70+", "dimension": "age band",
             "metrics": [{"metric": "sensitivity", "value": 0.71, "numerator": 71, "denominator": 100}]},
        ],
        "distribution": "network",
        "recipients": [],
    }
    body.update(overrides)
    return body


def report_make(
    *, by: Regulator, tool: Tool, publish: bool = True, **overrides: Any
) -> Report:
    """A report of `by`'s member through the services (published unless publish=False)."""
    form = ReportInputSerializer(data=report_payload(tool, **overrides))
    form.is_valid(raise_exception=True)
    report = report_draft_create(actor=by.publisher, member=by.member, data=dict(form.validated_data))
    if publish:
        report = report_publish(actor=by.publisher, member=by.member, report=report)
    return report


@pytest.fixture
def make_report(network: Network, tool: Tool) -> Callable[..., Report]:
    """`make_report("FDA", metrics=[...], distribution="restricted", recipients=["HC"], ...)`."""

    def make(code: str = "MHRA", *, on: Tool | None = None, **overrides: Any) -> Report:
        return report_make(by=network[code], tool=on or tool, **overrides)

    return make


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> Callable[..., ApiCaller]:
    """`callers("FDA", "assessor")`: an API caller of that member's user of that role (cached per test)."""
    return cached_callers(network, api, default_role="publisher")
