"""A member's admin in the portal: users and roles, API tokens (shown once, revoked), subscriptions
and webhook endpoints — only its own member's, through the same services as the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from exchange.models import ApiToken, AuditEntry, Delivery, Subscription, User, WebhookEndpoint
from exchange.services.endpoints import endpoint_create
from exchange.services.subscriptions import subscription_create
from exchange.services.tokens import token_authenticate
from tests.factories import Network, token_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    from exchange import tasks
    from exchange.services.deliveries import pumps

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    monkeypatch.setattr(tasks.event_dispatch, "delay", lambda event_id: None)
    monkeypatch.setattr(pumps, "pumps_queue", lambda deliveries=1, countdown=None, **_: None)


def test_users_are_added_and_their_role_changed(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    response = client.post("/member/users/new/", {"email": "New.Person@MHRA.test", "full_name": "New Person",
                                                  "role": "assessor", "password": ""})
    assert response.status_code == 302
    user = User.objects.get(email="new.person@mhra.test")
    assert (user.member, user.role, user.has_usable_password()) == (network.mhra.member, "assessor", False)
    assert AuditEntry.objects.filter(action="user.created", object_id=str(user.pk)).exists()
    duplicate = client.post("/member/users/new/", {"email": "new.person@mhra.test", "role": "viewer"})
    assert duplicate.status_code == 400
    assert "A user with e-mail new.person@mhra.test already exists." in duplicate.content.decode()
    weak = client.post("/member/users/new/", {"email": "weak@mhra.test", "role": "viewer", "password": "123"})
    assert weak.status_code == 400
    assert "This password is too short" in weak.content.decode()
    assert client.post(f"/member/users/{user.pk}/", {"full_name": "New Person", "role": "publisher",
                                                     "is_active": "on"}).status_code == 302
    user.refresh_from_db()
    assert user.role == "publisher"
    listing = client.get("/member/users/").content.decode()
    assert "new.person@mhra.test" in listing
    assert "admin@fda.test" not in listing


def test_the_last_admin_cannot_step_down(network: Network, page: Callable[[User], Client]) -> None:
    admin = network.mhra.admin
    response = page(admin).post(f"/member/users/{admin.pk}/", {"full_name": admin.full_name, "role": "viewer",
                                                               "is_active": "on"})
    assert response.status_code == 400
    assert "last active admin" in response.content.decode()


def test_another_members_rows_are_not_found(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    fda_token = token_make(user=network.fda.viewer).token
    fda_subscription = subscription_create(actor=None, member=network.fda.member, name="FDA's")
    fda_endpoint = endpoint_create(actor=None, member=network.fda.member, url="http://127.0.0.1:9/hook")
    assert client.get(f"/member/users/{network.fda.viewer.pk}/").status_code == 404
    assert client.post(f"/member/tokens/{fda_token.pk}/revoke/").status_code == 404
    assert client.get(f"/subscriptions/{fda_subscription.pk}/").status_code == 404
    assert client.post(f"/subscriptions/{fda_subscription.pk}/delete/").status_code == 404
    for suffix in ("", "secret/"):
        assert client.get(f"/webhooks/{fda_endpoint.pk}/{suffix}").status_code == 404
    for suffix in ("test/", "rotate-secret/", "delete/", "recover/"):
        assert client.post(f"/webhooks/{fda_endpoint.pk}/{suffix}", {"since": "2026-01-01T00:00"}).status_code == 404
    assert fda_endpoint.secret not in client.get("/webhooks/").content.decode()
    assert ApiToken.objects.get(pk=fda_token.pk).revoked_at is None
    assert Subscription.objects.filter(pk=fda_subscription.pk).exists()


def test_a_token_is_shown_once_and_revoked(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    too_wide = client.post("/member/tokens/new/", {"name": "x", "user": network.mhra.viewer.email,
                                                    "scopes": ["publish"]})
    assert too_wide.status_code == 400
    assert "exceed the role" in too_wide.content.decode()
    response = client.post("/member/tokens/new/", {"name": "Case system", "user": network.mhra.assessor.email,
                                                    "scopes": [], "expires_days": "30"})
    assert response.status_code == 201
    value = response.context["value"]
    assert value in response.content.decode()
    token = token_authenticate(value)
    assert token is not None
    assert token.user == network.mhra.assessor
    assert token.scopes == ["read", "acknowledge", "draft"]
    listing = client.get("/member/users/").content.decode()
    assert value not in listing
    assert token.key_prefix in listing
    assert client.post(f"/member/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_subscriptions_are_created_edited_and_deleted(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    endpoint = endpoint_create(actor=None, member=network.mhra.member, url="http://127.0.0.1:9/hook")
    data = {"name": "High and critical", "active": "on", "event_types": ["alert.published", "alert.amended"],
            "min_severity": "high", "publishers": "fda, HC", "jurisdictions": "GB",
            "webhook_endpoints": [str(endpoint.pk)], "email_recipients": "vigilance@mhra.test"}
    bad = client.post("/subscriptions/new/", {**data, "publishers": "NOPE"})
    assert bad.status_code == 400
    assert "no member with code &#x27;NOPE&#x27;" in bad.content.decode()
    assert client.post("/subscriptions/new/", data).status_code == 302
    subscription = Subscription.objects.get(member=network.mhra.member)
    assert subscription.publishers == ["FDA", "HC"]
    assert subscription.min_severity == "high"
    assert list(subscription.webhook_endpoints.all()) == [endpoint]
    form = client.get(f"/subscriptions/{subscription.pk}/").content.decode()
    assert "FDA, HC" in form
    assert client.post(f"/subscriptions/{subscription.pk}/", {**data, "active": ""}).status_code == 302
    subscription.refresh_from_db()
    assert subscription.active is False
    assert client.post(f"/subscriptions/{subscription.pk}/delete/").status_code == 302
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


def test_webhook_endpoint_pages(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    refused = client.post("/webhooks/new/", {"url": "ftp://example.org/x", "description": ""})
    assert refused.status_code == 400
    created = client.post("/webhooks/new/", {"url": "http://127.0.0.1:9/hook", "description": "Test"})
    assert created.status_code == 201
    endpoint = WebhookEndpoint.objects.get(member=network.mhra.member)
    assert endpoint.secret in created.content.decode()
    old_secret = endpoint.secret
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret
    assert endpoint.secret in rotated.content.decode()
    assert client.post(f"/webhooks/{endpoint.pk}/test/").status_code == 302
    delivery = Delivery.objects.get(endpoint=endpoint)
    detail = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "ping" in detail
    assert delivery.webhook_id in detail
    assert endpoint.secret not in detail  # revealed on its own page only
    Delivery.objects.filter(pk=delivery.pk).update(state="failed")
    assert client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    Delivery.objects.filter(pk=delivery.pk).update(state="failed")
    assert client.post(f"/webhooks/{endpoint.pk}/recover/", {"since": "2020-01-01T00:00"}).status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == "pending"
    assert client.post(f"/webhooks/{endpoint.pk}/", {"url": endpoint.url, "description": "Test",
                                                     "enabled": ""}).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    assert "Disabled" in client.get("/webhooks/").content.decode()
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
