"""Fixtures for the interop tests: the CAP 1.2 schema, two tools with every kind of identifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

import alerts.interop
from alerts.models import Tool
from tests.factories import Network, tool_make

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
NS = {"cap": CAP_NS}
SCHEMA_PATH = Path(alerts.interop.__file__).parent / "schemas" / "CAP-v1.2.xsd"
SAMPLES = Path(alerts.interop.__file__).parent.parent / "demo" / "imdrf"


@pytest.fixture(scope="session")
def cap_schema() -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


@pytest.fixture
def tools(network: Network) -> list[Tool]:
    return [
        tool_make(actor=network.mhra.publisher, name="LungScan AI", manufacturer="Quillfeather Imaging Ltd",
                  identifiers=[{"system": "fda-510k", "value": "K239901"}, {"system": "udi-di", "value": "08800123456781"}]),
        tool_make(actor=network.fda.publisher, name="SepsisWatch <Predict> & Co", manufacturer="Halloran \"Vantis\" Health",
                  clinical_area="critical_care",
                  identifiers=[{"system": "ukca", "value": "UKCA-HV-0042"}, {"system": "internal-sku", "value": "HV-9"}]),
    ]
