"""Webhook secrets, like tokens, are shown at creation and rotation only, and never cached."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Network

ENDPOINTS = "/api/v1/webhook-endpoints/"


@pytest.fixture
def admin(network: Network, api: Any) -> Any:
    return api(network.hc.admin)


def test_an_endpoint_secret_is_in_the_creating_and_rotating_answers_only(admin: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    created = admin.post(ENDPOINTS, {"url": "https://hooks.example/hc", "description": "HC"})
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    assert created["Cache-Control"] == "no-store"
    endpoint_id = created.json()["id"]

    listed = admin.get(ENDPOINTS)
    assert listed.status_code == 200
    assert all("secret" not in item for item in listed.json()["results"])
    detail = admin.get(f"{ENDPOINTS}{endpoint_id}/")
    assert "secret" not in detail.json()
    updated = admin.patch(f"{ENDPOINTS}{endpoint_id}/", {"description": "HC vigilance"})
    assert "secret" not in updated.json()
    assert created.json()["secret"] not in (listed.content + detail.content + updated.content).decode()

    rotated = admin.post(f"{ENDPOINTS}{endpoint_id}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated["Cache-Control"] == "no-store"


def test_a_created_token_is_not_cached(admin: Any) -> None:
    response = admin.post("/api/v1/tokens/", {"name": "ci"})
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
