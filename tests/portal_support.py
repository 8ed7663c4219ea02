"""Fixtures of the portal tests (Django test client and browser): imported by their conftest files.

`page(user)` returns a test client signed in as that member user. `published` is a restricted
alert of MHRA's distributed to FDA only (affecting GB and US, so FDA is asked to acknowledge),
which HC, TGA and SMC must never see on any page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from alerts.models import Alert, Tool
from exchange.models import User
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network, tool_authorised_make

PASSWORD = "correct horse battery staple 42"


def with_password(*users: User) -> None:
    """Give the users `PASSWORD`, for tests that sign in through the login form."""
    for user in users:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


@pytest.fixture
def page(db: None) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def portal_tool(network: Network) -> Tool:
    return tool_authorised_make(network=network)


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
