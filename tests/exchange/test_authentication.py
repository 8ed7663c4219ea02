"""Bearer authentication: who is refused with 401 (and how), and the 403 of a suspended member."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exchange.models import ApiToken
from exchange.services.members import member_update, user_update
from exchange.services.tokens import (
    TOKEN_PREFIX,
    token_checksum,
    token_hash,
    token_is_well_formed,
    token_revoke,
)
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem


def _token(caller: ApiCaller) -> ApiToken:
    return ApiToken.objects.get(key_hash=token_hash(caller.token))


def test_no_credentials_is_401_with_a_bearer_challenge(network: Network, anon: ApiCaller) -> None:
    response = anon.get("/api/v1/tools/")

    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer two parts",
        "Bearer not-a-token",
        "Bearer sax_" + "A" * 38,  # right prefix and length, wrong checksum
        "Bearer sax_ünïcödé",
    ],
)
def test_a_malformed_or_unknown_bearer_header_is_401(network: Network, anon: ApiCaller, header: str) -> None:
    response = anon.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert_problem(response, 401, "authentication-failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_well_formed_token_that_was_never_issued_is_401(network: Network, anon: ApiCaller) -> None:
    random_part = "Z" * 32
    forged = TOKEN_PREFIX + random_part + token_checksum(random_part)
    assert token_is_well_formed(forged)  # so that only the hash lookup can refuse it

    response = anon.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert_problem(response, 401, "authentication-failed")


def test_an_expired_token_is_401_saying_it_expired(network: Network, api) -> None:
    caller = api(network.mhra.viewer, expires_days=1)
    assert caller.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=_token(caller).pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    body = assert_problem(caller.get("/api/v1/me/"), 401, "authentication-failed")

    assert "expired" in body["detail"]


def test_a_revoked_token_is_401_saying_it_was_revoked(network: Network, api) -> None:
    caller = api(network.mhra.viewer)
    token_revoke(actor=network.mhra.admin, token=_token(caller))

    body = assert_problem(caller.get("/api/v1/tools/"), 401, "authentication-failed")

    assert "revoked" in body["detail"]


def test_a_deactivated_users_token_is_401(network: Network, api) -> None:
    caller = api(network.fda.publisher)
    user_update(actor=network.fda.admin, user=network.fda.publisher, is_active=False)

    body = assert_problem(caller.get("/api/v1/tools/"), 401, "authentication-failed")

    assert "deactivated" in body["detail"]


def test_a_suspended_members_token_is_403_and_reinstatement_restores_it(network: Network, api) -> None:
    caller = api(network.smc.viewer)
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    body = assert_problem(caller.get("/api/v1/members/"), 403, "forbidden")
    assert "suspended" in body["detail"]

    member_update(actor=network.staff, member=network.smc.member, status="active")
    assert caller.get("/api/v1/members/").status_code == 200


def test_using_a_token_records_its_last_use(network: Network, api) -> None:
    caller = api(network.hc.viewer)
    assert _token(caller).last_used_at is None

    caller.get("/api/v1/me/")

    last_used = _token(caller).last_used_at
    assert last_used is not None
    assert timezone.now() - last_used < timedelta(minutes=1)


def test_another_scheme_is_not_authentication(network: Network, anon: ApiCaller) -> None:
    response = anon.get("/api/v1/me/", HTTP_AUTHORIZATION="Basic YWRtaW46YWRtaW4=")

    assert_problem(response, 401, "not-authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
