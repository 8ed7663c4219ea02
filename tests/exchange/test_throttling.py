"""Per-token rate limit: API_RATE_LIMIT (e.g. '600/min'; 'off' disables), SPEC §6.

The counters live in the cache. These tests give the limiter a private in-process cache, so that
another test run sharing the Redis database (whose cache.clear() flushes it) cannot reset them.
"""

from __future__ import annotations

from django.test import override_settings

from alerts.models import Tool
from tests.factories import Network
from tests.helpers import assert_problem

PRIVATE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle"}}


@override_settings(API_RATE_LIMIT="3/min", CACHES=PRIVATE_CACHE)
def test_the_request_over_the_limit_is_429_with_retry_after(network: Network, api) -> None:
    caller = api(network.mhra.viewer)
    for _ in range(3):
        assert caller.get("/api/v1/tools/").status_code == 200

    response = caller.get("/api/v1/tools/")

    body = assert_problem(response, 429, "rate-limited")
    retry_after = int(response["Retry-After"])
    assert 0 < retry_after <= 60
    assert body["retry_after"] >= retry_after


@override_settings(API_RATE_LIMIT="3/min", CACHES=PRIVATE_CACHE)
def test_the_limit_is_per_token(network: Network, api) -> None:
    first = api(network.mhra.viewer)
    second = api(network.mhra.viewer)  # same user, another token
    for _ in range(3):
        first.get("/api/v1/members/")
    assert first.get("/api/v1/members/").status_code == 429

    assert second.get("/api/v1/members/").status_code == 200
    assert api(network.fda.viewer).get("/api/v1/members/").status_code == 200


@override_settings(API_RATE_LIMIT="3/min", CACHES=PRIVATE_CACHE)
def test_writes_count_too_and_a_throttled_write_writes_nothing(network: Network, api) -> None:
    caller = api(network.mhra.publisher)
    for _ in range(3):
        caller.get("/api/v1/me/")
    before = Tool.objects.count()

    response = caller.post("/api/v1/tools/", {"name": "Throttled", "manufacturer": "M", "clinical_area": "other"})

    assert_problem(response, 429, "rate-limited")
    assert Tool.objects.count() == before


@override_settings(API_RATE_LIMIT=None, CACHES=PRIVATE_CACHE)
def test_off_disables_the_limit(network: Network, api) -> None:
    caller = api(network.mhra.viewer)

    statuses = {caller.get("/api/v1/me/").status_code for _ in range(30)}

    assert statuses == {200}
