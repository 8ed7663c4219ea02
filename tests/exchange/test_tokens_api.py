"""/api/v1/tokens/: issued by a member's admins, shown once, revocable, never wider than the role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exchange.models import ApiToken, AuditEntry
from exchange.services.tokens import token_hash, token_is_well_formed
from tests.factories import Network, token_make
from tests.helpers import ApiCaller, assert_problem


def test_creating_a_token_returns_its_secret_once(network: Network, api) -> None:
    caller = api(network.mhra.admin)

    response = caller.post("/api/v1/tokens/", {"name": "Case system", "user": "publisher@mhra.test"})

    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("sax_")
    assert token_is_well_formed(secret)
    assert body["key_prefix"] == secret[:12]
    assert body["user"] == "publisher@mhra.test"
    assert body["scopes"] == ["read", "acknowledge", "draft", "publish"]
    assert body["is_active"] is True
    stored = ApiToken.objects.get(pk=body["id"])
    assert stored.key_hash == token_hash(secret)
    # The secret works at once.
    me = ApiCaller(user=None, token=secret).get("/api/v1/me/")
    assert me.json()["email"] == "publisher@mhra.test"
    # And is never shown again.
    listing = caller.get("/api/v1/tokens/")
    detail = caller.get(f"/api/v1/tokens/{body['id']}/")
    for response in (listing, detail):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert secret[12:] not in response.content.decode()
    assert all("token" not in item for item in listing.json()["results"])
    assert "token" not in detail.json()


def test_a_token_defaults_to_the_caller_and_may_expire(network: Network, api) -> None:
    body = api(network.fda.admin).post("/api/v1/tokens/", {"scopes": ["read"], "expires_days": 30}).json()

    assert body["user"] == "admin@fda.test"
    assert body["scopes"] == ["read"]
    expires_at = ApiToken.objects.get(pk=body["id"]).expires_at
    assert expires_at is not None
    assert abs(expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_the_token_list_shows_the_members_tokens_only(network: Network, api) -> None:
    mine = token_make(user=network.mhra.viewer, name="mhra viewer token")
    token_make(user=network.fda.viewer, name="fda viewer token")
    caller = api(network.mhra.admin)

    results = caller.get("/api/v1/tokens/").json()["results"]

    names = {t["name"] for t in results}
    assert "mhra viewer token" in names
    assert "fda viewer token" not in names
    assert {t["user"].split("@")[1] for t in results} == {"mhra.test"}
    filtered = caller.get("/api/v1/tokens/", {"user": "viewer@mhra.test"}).json()["results"]
    assert [t["id"] for t in filtered] == [str(mine.token.pk)]


def test_delete_revokes_the_token_which_then_fails_to_authenticate(network: Network, api) -> None:
    victim = api(network.mhra.publisher)
    assert victim.get("/api/v1/me/").status_code == 200
    token = ApiToken.objects.get(key_hash=token_hash(victim.token))
    admin = api(network.mhra.admin)

    response = admin.delete(f"/api/v1/tokens/{token.pk}/")

    assert response.status_code == 204
    body = assert_problem(victim.get("/api/v1/me/"), 401, "authentication-failed")
    assert "revoked" in body["detail"]
    listed = admin.get(f"/api/v1/tokens/{token.pk}/").json()
    assert listed["revoked_at"] is not None
    assert listed["is_active"] is False
    assert AuditEntry.objects.filter(action="token.revoked", object_id=str(token.pk)).count() == 1
    # Revoking again changes nothing.
    assert admin.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert AuditEntry.objects.filter(action="token.revoked", object_id=str(token.pk)).count() == 1


def test_another_members_token_cannot_be_seen_or_revoked(network: Network, api) -> None:
    theirs = token_make(user=network.fda.viewer)
    caller = api(network.mhra.admin)

    assert_problem(caller.get(f"/api/v1/tokens/{theirs.token.pk}/"), 404, "not-found")
    assert_problem(caller.delete(f"/api/v1/tokens/{theirs.token.pk}/"), 404, "not-found")
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_scopes_wider_than_the_role_are_refused(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    before = ApiToken.objects.count()

    response = caller.post("/api/v1/tokens/", {"user": "viewer@mhra.test", "scopes": ["read", "publish"]})

    body = assert_problem(response, 403, "forbidden")
    assert "publish" in body["detail"]
    assert ApiToken.objects.count() == before


def test_an_unknown_scope_is_a_validation_error(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    before = ApiToken.objects.count()

    response = caller.post("/api/v1/tokens/", {"scopes": ["read", "superpowers"]})

    body = assert_problem(response, 400, "validation-error")
    assert "scopes" in body["errors"]
    assert ApiToken.objects.count() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"user": "viewer@fda.test"},  # another member's user
        {"user": "nobody@mhra.test"},
        {"scopes": []},
        {"expires_days": 0},
        {"expires_days": 100000},
    ],
)
def test_invalid_token_requests_write_nothing(network: Network, api, payload: dict) -> None:
    caller = api(network.mhra.admin)
    before = ApiToken.objects.count()

    assert_problem(caller.post("/api/v1/tokens/", payload), 400, "validation-error")

    assert ApiToken.objects.count() == before


def test_token_issuance_is_audited_without_the_secret(network: Network, api) -> None:
    body = api(network.mhra.admin).post("/api/v1/tokens/", {"name": "audited"}).json()

    entry = AuditEntry.objects.get(action="token.issued", object_id=body["id"])
    assert entry.actor_email == "admin@mhra.test"
    assert entry.after["key_prefix"] == body["key_prefix"]
    assert body["token"] not in str(entry.after)
