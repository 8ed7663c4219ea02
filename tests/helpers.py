"""Assertions and clients shared by the tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.apps import apps
from rest_framework.test import APIClient

from exchange.models import User

if TYPE_CHECKING:
    from tests.factories import Network


def cached_callers(
    network: Network, api: Callable[..., ApiCaller], *, default_role: str
) -> Callable[..., ApiCaller]:
    """`get("FDA", "assessor")`: an API caller of that member's user of that role, one token per pair."""
    cache: dict[tuple[str, str], ApiCaller] = {}

    def get(code: str, role: str = default_role) -> ApiCaller:
        if (code, role) not in cache:
            cache[(code, role)] = api(network[code].users[role])
        return cache[(code, role)]

    return get


class ApiCaller:
    """An APIClient that sends `Authorization: Bearer <token>` on every request."""

    def __init__(self, *, user: User | None, token: str | None, client: APIClient | None = None) -> None:
        self.user = user
        self.token = token
        self.client = client or APIClient()
        if token is not None:
            self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def _call(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        call = getattr(self.client, method)
        if method in {"post", "put", "patch"} and "content_type" not in extra and "format" not in extra:
            extra["format"] = "json"
        response = call(path, **extra) if data is None else call(path, data, **extra)
        if response.status_code == 201:  # every creation says where the created object lives
            assert response.has_header("Location"), f"{method.upper()} {path} answered 201 without Location"
        return response

    def get(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("get", path, data, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("post", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("put", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("delete", path, data, **extra)

    def options(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("options", path, data, **extra)


def assert_problem(response: Any, status: int, slug: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status (and type slug); returns its body."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    if slug is not None:
        assert body["type"].endswith(f"/problems/{slug}"), body["type"]
    return body


def row_counts() -> dict[str, int]:
    """Rows per model of our two apps: to show that a refused request wrote nothing."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"exchange", "alerts"}
    }
