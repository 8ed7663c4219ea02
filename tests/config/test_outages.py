"""What a caller gets when a dependency fails under a request, in one process: a `503` with
`Retry-After` (problem+json for the API, a page for the portal) while the database or the cache is
unreachable or a transaction collided, a `500` for anything else, and no rate limit while Redis is
down. tests/integration/test_operations.py stops the real PostgreSQL and Redis under gunicorn."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from django.db import OperationalError
from rest_framework.test import APIClient

from config.exceptions import OUTAGE_RETRY_AFTER_SECONDS
from exchange.throttling import TokenRateThrottle
from tests.factories import Network, token_make
from tests.helpers import ApiCaller, assert_problem

pytestmark = pytest.mark.django_db


class DeadlockDetected(Exception):
    """Named like psycopg's: what PostgreSQL raises when it breaks a deadlock."""


def _deadlock() -> Exception:
    try:
        raise OperationalError("deadlock detected") from DeadlockDetected("deadlock detected")
    except OperationalError as exc:
        return exc


@pytest.fixture
def hc_api(network: Network) -> ApiCaller:
    """HC's admin, with a client that answers an uncaught exception as production does."""
    issued = token_make(user=network.hc.admin)
    return ApiCaller(user=network.hc.admin, token=issued.value, client=APIClient(raise_request_exception=False))


class UnreachableCache:
    """A cache whose Redis refuses every connection."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        raise redis.exceptions.ConnectionError("Connection refused")

    set = get


def _failing(monkeypatch: pytest.MonkeyPatch, target: str, exc: Exception) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(target, fail)


@pytest.mark.parametrize(
    ("exc", "dependency"),
    [
        (OperationalError("could not connect to server"), "database"),
        (redis.exceptions.ConnectionError("Connection refused"), "cache"),
    ],
)
def test_an_api_request_during_an_outage_is_a_503_problem_to_retry(
    hc_api: ApiCaller, monkeypatch: pytest.MonkeyPatch, exc: Exception, dependency: str
) -> None:
    _failing(monkeypatch, "exchange.api.subscriptions.subscriptions_of", exc)

    response = hc_api.get("/api/v1/subscriptions/")

    problem = assert_problem(response, 503, "service-unavailable")
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    assert f"The service's {dependency} is unavailable" in problem["detail"]


def test_a_deadlock_is_a_503_that_says_to_retry(hc_api: ApiCaller, monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, "exchange.api.subscriptions.subscriptions_of", _deadlock())

    problem = assert_problem(hc_api.get("/api/v1/subscriptions/"), 503, "service-unavailable")

    assert "collided with a concurrent one" in problem["detail"]


def test_any_other_failure_is_a_500_problem_that_reveals_nothing(
    hc_api: ApiCaller, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failing(monkeypatch, "exchange.api.subscriptions.subscriptions_of", KeyError("secret internals"))

    problem = assert_problem(hc_api.get("/api/v1/subscriptions/"), 500, "server-error")

    assert "secret" not in str(problem)


def test_a_portal_page_during_an_outage_is_a_503_page_to_retry(
    network: Network, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.raise_request_exception = False
    client.force_login(network.hc.admin)
    _failing(monkeypatch, "exchange.portal.views.sorted_scopes", OperationalError("server closed the connection"))

    response = client.get("/accounts/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(OUTAGE_RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    assert "The service's database is unavailable for a moment" in response.content.decode()


def test_the_rate_limit_is_not_enforced_while_the_cache_is_unreachable(
    hc_api: ApiCaller, monkeypatch: pytest.MonkeyPatch, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.API_RATE_LIMIT = "1/min"
    monkeypatch.setattr(TokenRateThrottle, "cache", UnreachableCache())

    with caplog.at_level(logging.WARNING, logger="exchange.throttling"):
        answers = [hc_api.get("/api/v1/subscriptions/").status_code for _ in range(3)]

    assert answers == [200, 200, 200]
    assert "Rate limit not enforced: the cache is unreachable (ConnectionError)" in caplog.text
