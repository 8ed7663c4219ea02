"""/api/v1/users/: a member's admins manage its users; nobody reaches another member's."""

from __future__ import annotations

import pytest

from exchange.models import AuditEntry, User
from tests.factories import Network, user_make
from tests.helpers import assert_problem


def test_admin_lists_the_users_of_its_own_member_only(network: Network, api) -> None:
    response = api(network.mhra.admin).get("/api/v1/users/")

    assert response.status_code == 200
    emails = [u["email"] for u in response.json()["results"]]
    assert emails == ["admin@mhra.test", "assessor@mhra.test", "publisher@mhra.test", "viewer@mhra.test"]
    assert {u["member"] for u in response.json()["results"]} == {"MHRA"}


def test_admin_filters_users_by_role(network: Network, api) -> None:
    results = api(network.fda.admin).get("/api/v1/users/", {"role": "publisher"}).json()["results"]

    assert [u["email"] for u in results] == ["publisher@fda.test"]


def test_admin_creates_a_user_of_its_member(network: Network, api) -> None:
    response = api(network.mhra.admin).post(
        "/api/v1/users/", {"email": "New.Assessor@MHRA.test", "role": "assessor", "full_name": "Ada Clinician"}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new.assessor@mhra.test"
    assert body["member"] == "MHRA"
    assert body["role"] == "assessor"
    assert "password" not in body
    user = User.objects.get(email="new.assessor@mhra.test")
    assert user.member == network.mhra.member
    entry = AuditEntry.objects.filter(action="user.created", object_id=str(user.pk)).get()
    assert entry.actor_email == "admin@mhra.test"
    assert entry.member_code == "MHRA"


def test_creating_a_user_with_a_password_lets_them_sign_in(network: Network, api) -> None:
    response = api(network.mhra.admin).post(
        "/api/v1/users/", {"email": "signer@mhra.test", "role": "viewer", "password": "correct horse battery"}
    )

    assert response.status_code == 201
    assert User.objects.get(email="signer@mhra.test").check_password("correct horse battery")


def test_a_weak_password_is_refused(network: Network, api) -> None:
    response = api(network.mhra.admin).post(
        "/api/v1/users/", {"email": "weak@mhra.test", "role": "viewer", "password": "password"}
    )

    body = assert_problem(response, 400, "validation-error")
    assert "password" in body["errors"]
    assert not User.objects.filter(email="weak@mhra.test").exists()


def test_an_email_already_registered_is_a_conflict(network: Network, api) -> None:
    response = api(network.mhra.admin).post("/api/v1/users/", {"email": "viewer@fda.test", "role": "viewer"})

    assert_problem(response, 409, "conflict")
    assert User.objects.get(email="viewer@fda.test").member == network.fda.member


def test_an_unknown_role_is_refused(network: Network, api) -> None:
    response = api(network.mhra.admin).post("/api/v1/users/", {"email": "x@mhra.test", "role": "superuser"})

    body = assert_problem(response, 400, "validation-error")
    assert "role" in body["errors"]


def test_admin_retrieves_and_changes_a_users_role(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    viewer = network.mhra.viewer

    assert caller.get(f"/api/v1/users/{viewer.pk}/").json()["email"] == "viewer@mhra.test"
    response = caller.patch(f"/api/v1/users/{viewer.pk}/", {"role": "publisher"})

    assert response.status_code == 200
    assert response.json()["role"] == "publisher"
    viewer.refresh_from_db()
    assert viewer.role == "publisher"
    entry = AuditEntry.objects.filter(action="user.updated", object_id=str(viewer.pk)).get()
    assert entry.before["role"] == "viewer"
    assert entry.after["role"] == "publisher"


@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_members_user_is_not_found(network: Network, api, method: str) -> None:
    target = network.fda.viewer

    response = getattr(api(network.mhra.admin), method)(f"/api/v1/users/{target.pk}/", {"role": "admin"})

    assert_problem(response, 404, "not-found")
    target.refresh_from_db()
    assert target.role == "viewer"


@pytest.mark.parametrize("change", [{"role": "publisher"}, {"is_active": False}])
def test_the_last_active_admin_cannot_be_demoted_or_deactivated(network: Network, api, change: dict) -> None:
    admin = network.mhra.admin

    response = api(admin).patch(f"/api/v1/users/{admin.pk}/", change)

    body = assert_problem(response, 409, "conflict")
    assert "last active admin" in body["detail"]
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == ("admin", True)


def test_an_admin_may_step_down_once_another_admin_exists(network: Network, api) -> None:
    admin = network.mhra.admin
    user_make(member=network.mhra.member, role="admin", email="deputy@mhra.test")

    response = api(admin).patch(f"/api/v1/users/{admin.pk}/", {"role": "publisher"})

    assert response.status_code == 200
    assert response.json()["role"] == "publisher"


def test_users_cannot_be_deleted(network: Network, api) -> None:
    viewer = network.mhra.viewer

    response = api(network.mhra.admin).delete(f"/api/v1/users/{viewer.pk}/")

    assert_problem(response, 405, "method-not-allowed")
    assert User.objects.filter(pk=viewer.pk).exists()


@pytest.mark.parametrize("role", ["viewer", "assessor", "publisher"])
def test_only_admins_see_users(network: Network, api, role: str) -> None:
    body = assert_problem(api(network.mhra.users[role]).get("/api/v1/users/"), 403, "forbidden")

    assert "'admin' scope" in body["detail"]
