"""Fixtures of the portal tests (Django test client and browser): imported by their conftest files.

`page(user)` returns a test client signed in as that member user. `published` is a restricted
alert of MHRA's distributed to FDA only (affecting GB and US, so FDA is asked to acknowledge),
which HC, TGA and SMC must never see on any page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from alerts.models import Alert, Tool
from exchange.models import User
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network, authorization_make, tool_make


@pytest.fixture(autouse=True)
def _static_from_finders(settings: Any) -> None:
    # The pages' {% static %} tags need no collectstatic run in tests.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def page(db: None) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def portal_tool(network: Network) -> Tool:
    tool = tool_make(actor=network.mhra.publisher, manufacturer="Quillfeather Imaging Ltd")
    authorization_make(actor=network.mhra.publisher, tool=tool)
    authorization_make(actor=network.fda.publisher, tool=tool)
    return tool


@pytest.fixture
def restricted_alert(network: Network, portal_tool: Tool) -> Alert:
    """Published by MHRA to FDA only; FDA is asked to acknowledge (the US is affected)."""
    return alert_published_make(
        actor=network.mhra.publisher, tools=[portal_tool], distribution="restricted", recipients=["FDA"],
        title="Restricted: missed nodules after firmware 7.2", severity="critical",
    )


@pytest.fixture
def draft_alert(network: Network, portal_tool: Tool) -> Alert:
    return alert_draft_make(actor=network.mhra.publisher, tools=[portal_tool], title="A draft only MHRA sees")
