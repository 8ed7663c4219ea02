"""The generated role × scope × operation matrix (SPEC §2 roles, §6: 401/403 semantics).

Every operation of the foundation declares the scope it needs; for every role, and for tokens
restricted to a single scope, the operation either succeeds (2xx) or is refused with a 403
problem that names the missing scope and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from exchange.services.members import member_update, user_update
from tests.factories import ROLES, Network, authorization_make, token_make, tool_make, unique
from tests.helpers import assert_problem, row_counts

ROLE_SCOPES: dict[str, set[str]] = {
    "viewer": {"read"},
    "assessor": {"read", "acknowledge", "draft"},
    "publisher": {"read", "acknowledge", "draft", "publish"},
    "admin": {"read", "acknowledge", "draft", "publish", "admin"},
}
SCOPES = ("read", "acknowledge", "draft", "publish", "admin")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    scope: str | None  # None: any authenticated caller of an active member
    prepare: Callable[[Network], tuple[str, dict[str, Any] | None]]

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.template}"


def _tool(network: Network) -> Any:
    return tool_make(actor=network.mhra.publisher)


def _authorised_tool(network: Network) -> Any:
    tool = _tool(network)
    return tool, authorization_make(actor=network.mhra.publisher, tool=tool)


def _token_id(network: Network) -> str:
    return str(token_make(user=network.mhra.viewer).token.pk)


OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/me/", None, lambda n: ("/api/v1/me/", None)),
    Operation("get", "/members/", "read", lambda n: ("/api/v1/members/", None)),
    Operation("get", "/members/{code}/", "read", lambda n: ("/api/v1/members/FDA/", None)),
    Operation("get", "/users/", "admin", lambda n: ("/api/v1/users/", None)),
    Operation("post", "/users/", "admin", lambda n: ("/api/v1/users/", {"email": f"{unique('u')}@mhra.test", "role": "viewer"})),
    Operation("get", "/users/{id}/", "admin", lambda n: (f"/api/v1/users/{n.mhra.viewer.pk}/", None)),
    Operation("patch", "/users/{id}/", "admin", lambda n: (f"/api/v1/users/{n.mhra.viewer.pk}/", {"full_name": "Renamed"})),
    Operation("get", "/tokens/", "admin", lambda n: ("/api/v1/tokens/", None)),
    Operation("post", "/tokens/", "admin", lambda n: ("/api/v1/tokens/", {"user": "viewer@mhra.test", "scopes": ["read"]})),
    Operation("get", "/tokens/{id}/", "admin", lambda n: (f"/api/v1/tokens/{_token_id(n)}/", None)),
    Operation("delete", "/tokens/{id}/", "admin", lambda n: (f"/api/v1/tokens/{_token_id(n)}/", None)),
    Operation("get", "/tools/", "read", lambda n: ("/api/v1/tools/", None)),
    Operation(
        "post", "/tools/", "draft",
        lambda n: ("/api/v1/tools/", {"name": unique("Tool "), "manufacturer": "Acme", "clinical_area": "cardiology"}),
    ),
    Operation("get", "/tools/{id}/", "read", lambda n: (f"/api/v1/tools/{_tool(n).pk}/", None)),
    Operation("patch", "/tools/{id}/", "draft", lambda n: (f"/api/v1/tools/{_tool(n).pk}/", {"intended_purpose": "New"})),
    Operation("get", "/tools/{id}/authorizations/", "read", lambda n: (f"/api/v1/tools/{_tool(n).pk}/authorizations/", None)),
    Operation(
        "post", "/tools/{id}/authorizations/", "publish",
        lambda n: (
            f"/api/v1/tools/{_tool(n).pk}/authorizations/",
            {"jurisdiction": "GB", "reference": "UKCA-1", "status": "authorised", "date": "2025-03-01"},
        ),
    ),
    Operation(
        "get", "/tools/{id}/authorizations/{id}/", "read",
        lambda n: (lambda t, a: (f"/api/v1/tools/{t.pk}/authorizations/{a.pk}/", None))(*_authorised_tool(n)),
    ),
    Operation(
        "patch", "/tools/{id}/authorizations/{id}/", "publish",
        lambda n: (lambda t, a: (f"/api/v1/tools/{t.pk}/authorizations/{a.pk}/", {"reference": "UKCA-2"}))(
            *_authorised_tool(n)
        ),
    ),
)


def _check(response: Any, operation: Operation, allowed: bool, counts_before: dict[str, int]) -> None:
    if allowed:
        assert 200 <= response.status_code < 300, (operation.id, response.status_code, response.content[:300])
        return
    body = assert_problem(response, 403, "forbidden")
    assert f"'{operation.scope}' scope" in body["detail"]
    if operation.method != "get":
        # The caller's own token was issued before counting; nothing else may have been written.
        assert row_counts() == counts_before


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_role_matrix(network: Network, api, subtests: pytest.Subtests, operation: Operation) -> None:
    for role in ROLES:
        with subtests.test(role=role):
            caller = api(network.mhra.users[role])
            path, body = operation.prepare(network)
            counts = row_counts()

            response = getattr(caller, operation.method)(path, body)

            _check(response, operation, operation.scope is None or operation.scope in ROLE_SCOPES[role], counts)


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.id)
def test_single_scope_token_matrix(network: Network, api, subtests: pytest.Subtests, operation: Operation) -> None:
    for scope in SCOPES:
        with subtests.test(scope=scope):
            caller = api(network.mhra.admin, scopes=[scope])  # the admin's role allows every scope
            path, body = operation.prepare(network)
            counts = row_counts()

            response = getattr(caller, operation.method)(path, body)

            _check(response, operation, operation.scope is None or operation.scope == scope, counts)


def test_a_suspended_members_token_is_refused_everything(network: Network, api) -> None:
    caller = api(network.mhra.admin)
    prepared = [(operation, *operation.prepare(network)) for operation in OPERATIONS]
    member_update(actor=network.staff, member=network.mhra.member, status="suspended")
    counts = row_counts()

    for operation, path, body in prepared:
        response = getattr(caller, operation.method)(path, body)
        problem = assert_problem(response, 403, "forbidden")
        assert "suspended" in problem["detail"], operation.id

    assert row_counts() == counts


def test_lowering_a_role_shrinks_the_scopes_of_existing_tokens(network: Network, api) -> None:
    publisher = network.fda.publisher
    caller = api(publisher)
    assert caller.get("/api/v1/me/").json()["scopes"] == ["read", "acknowledge", "draft", "publish"]

    user_update(actor=network.fda.admin, user=publisher, role="viewer")

    assert caller.get("/api/v1/me/").json()["scopes"] == ["read"]
    response = caller.post("/api/v1/tools/", {"name": "X", "manufacturer": "Y", "clinical_area": "other"})
    assert_problem(response, 403, "forbidden")
    assert caller.get("/api/v1/tools/").status_code == 200


def test_raising_a_role_does_not_widen_an_existing_token(network: Network, api) -> None:
    viewer = network.fda.viewer
    caller = api(viewer)

    user_update(actor=network.fda.admin, user=viewer, role="publisher")

    assert caller.get("/api/v1/me/").json()["scopes"] == ["read"]
    response = caller.post("/api/v1/tools/", {"name": "X", "manufacturer": "Y", "clinical_area": "other"})
    assert_problem(response, 403, "forbidden")
