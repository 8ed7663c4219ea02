"""Fixtures for tool versions (SPEC §10.2), on top of the five-regulator `network` and the `tool`.

`tool` (tests/alerts/conftest.py) is LungScan AI, authorised in GB (MHRA) and the US (FDA) with a
declared sensitivity of 0.92. `versioned` registers 3.1.0 to 3.4.0 on it through the service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from alerts.models import Report, Tool
from alerts.services.versions import tool_version_register
from tests.alerts.reports.conftest import report_make
from tests.factories import Network
from tests.helpers import ApiCaller, cached_callers

VERSIONS = ("3.1.0", "3.2.0", "3.3.1", "3.4.0")


def versions_url(tool: Tool) -> str:
    return f"/api/v1/tools/{tool.pk}/versions/"


def register(network: Network, tool: Tool, *versions: str, by: str = "MHRA") -> None:
    for index, version in enumerate(versions):
        tool_version_register(actor=network[by].publisher, tool=tool, version=version,
                              released_on=date(2025, 1 + index, 1))


def counts(metric: str, numerator: int, denominator: int) -> dict[str, Any]:
    return {"metric": metric, "value": numerator / denominator, "numerator": numerator, "denominator": denominator}


@pytest.fixture
def versioned(network: Network, tool: Tool) -> Tool:
    register(network, tool, *VERSIONS)
    return tool


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> Callable[..., ApiCaller]:
    return cached_callers(network, api, default_role="publisher")


@pytest.fixture
def measured(network: Network) -> Callable[..., Report]:
    """`measured(tool, "3.2.0", counts("sensitivity", 700, 1000), by="FDA", period_end=..., **overrides)`."""

    def make(tool: Tool, version: str, *metrics: dict[str, Any], by: str = "MHRA", **overrides: Any) -> Report:
        country = {"MHRA": "GB", "FDA": "US", "HC": "CA", "TGA": "AU", "SMC": "CH"}[by]
        overrides.setdefault("country", country)
        return report_make(by=network[by], tool=tool, tool_version=version, metrics=list(metrics), subgroups=[],
                           **overrides)

    return make
