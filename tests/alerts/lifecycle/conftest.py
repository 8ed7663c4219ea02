"""The safety-alert lifecycle through the API (SPEC §2, §6): every transition, allowed and refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Network
from tests.helpers import ApiCaller


@pytest.fixture
def mhra_api(network: Network, api: Any) -> ApiCaller:
    caller: ApiCaller = api(network.mhra.publisher)
    return caller
