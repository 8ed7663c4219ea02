"""Fixtures for the alert tests: two registered AI tools on top of the five-regulator `network`."""

from __future__ import annotations

import pytest

from alerts.models import Tool
from tests.factories import Network, tool_authorised_make, tool_make


@pytest.fixture
def tool(network: Network) -> Tool:
    """LungScan AI, registered by MHRA and authorised in GB and the US."""
    return tool_authorised_make(network=network)


@pytest.fixture
def other_tool(network: Network) -> Tool:
    """A sepsis predictor, registered by FDA and authorised in the US only."""
    return tool_make(
        actor=network.fda.publisher, name="SepsisWatch Predict", manufacturer="Halloran Vantis Health",
        clinical_area="critical_care", intended_purpose="Predicts onset of sepsis in adult inpatients",
    )
