"""Fixtures for search, related alerts and links: callers of each regulator (publisher role by default)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.factories import Network
from tests.helpers import ApiCaller, cached_callers


@pytest.fixture
def callers(network: Network, api: Callable[..., ApiCaller]) -> Callable[..., ApiCaller]:
    """`callers("FDA", "viewer")`: an API caller of that member's user of that role (cached per test)."""
    return cached_callers(network, api, default_role="publisher")
