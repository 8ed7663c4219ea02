"""Role checks of the portal mirror the API (SPEC §2): viewer reads; assessor acknowledges and drafts;
publisher publishes, amends, closes and withdraws for its member; admin manages the member."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from alerts.models import Alert
from exchange.choices import scopes_for_role
from exchange.models import User
from tests.factories import Network

pytestmark = pytest.mark.django_db

# (method, path template, the scope it needs) for pages that act; {pk} is MHRA's alert.
ACTIONS: list[tuple[str, str, str]] = [
    ("get", "/alerts/new/", "draft"),
    ("get", "/reports/new/", "draft"),
    ("get", "/reports/import/", "publish"),
    ("get", "/alerts/{draft}/edit/", "draft"),
    ("get", "/alerts/{draft}/publish/", "publish"),
    ("get", "/alerts/{published}/amend/", "publish"),
    ("get", "/alerts/{published}/close/", "publish"),
    ("get", "/alerts/{published}/withdraw/", "publish"),
    ("get", "/member/users/", "admin"),
    ("get", "/member/users/new/", "admin"),
    ("get", "/member/tokens/new/", "admin"),
    ("get", "/subscriptions/", "admin"),
    ("get", "/subscriptions/new/", "admin"),
    ("get", "/webhooks/", "admin"),
]


@pytest.mark.parametrize("role", ["viewer", "assessor", "publisher", "admin"])
def test_each_page_answers_by_role_as_the_api_would(
    role: str, network: Network, page: Callable[[User], Client], restricted_alert: Alert, draft_alert: Alert,
) -> None:
    client = page(network.mhra.users[role])
    allowed = scopes_for_role(role)
    for method, template, scope in ACTIONS:
        path = template.format(draft=draft_alert.pk, published=restricted_alert.pk)
        response = getattr(client, method)(path)
        expected = 200 if scope in allowed else 403
        assert response.status_code == expected, (role, path, response.status_code)


def test_a_viewer_reads_but_cannot_acknowledge(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    client = page(network.fda.viewer)
    inbox = client.get("/").content.decode()
    assert restricted_alert.title in inbox
    assert "Mark received" not in inbox
    detail = client.get(f"/alerts/{restricted_alert.pk}/").content.decode()
    assert "Record the answer" not in detail
    assert client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {"state": "received"}).status_code == 403
    assert "Draft an alert" not in client.get("/alerts/").content.decode()


def test_only_the_publishing_member_changes_an_alert(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    # FDA sees the alert (it is a recipient), but it is MHRA's: the service's refusal, as a 403.
    client = page(network.fda.admin)
    for suffix in ("amend/", "close/", "withdraw/"):
        assert client.get(f"/alerts/{restricted_alert.pk}/{suffix}").status_code == 403, suffix
    detail = client.get(f"/alerts/{restricted_alert.pk}/").content.decode()
    assert "Who has acted on this alert" not in detail  # the table is the publisher's
    assert "Amend" not in detail
    publisher_page = page(network.mhra.viewer).get(f"/alerts/{restricted_alert.pk}/").content.decode()
    assert "Who has acted on this alert" in publisher_page
    assert ">Amend<" not in publisher_page  # a viewer of the publisher sees the table, not the actions


def test_the_navigation_shows_admin_pages_to_admins_only(network: Network, page: Callable[[User], Client]) -> None:
    assert "Users &amp; tokens" in page(network.mhra.admin).get("/").content.decode()
    assert "Users &amp; tokens" not in page(network.mhra.publisher).get("/").content.decode()
