"""Health, metrics and request ids in one process (SPEC §9). The same surfaces with real gunicorn,
Celery and outages are in tests/integration/test_operations.py."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from config.heartbeats import heartbeat_record
from config.logs import (
    TASK_HEADER,
    JsonLogFormatter,
    RequestContextFilter,
    request_context,
    task_publish_add_request_id,
)
from exchange.models import Event, Heartbeat
from tests.factories import Network
from tests.helpers import ApiCaller
from tests.integration.conftest import celery_broker, free_port

pytestmark = pytest.mark.django_db

CHECKS = ("database", "cache", "broker", "beat", "outbox")


def _event(age: timedelta, *, dispatched: bool) -> Event:
    last = Event.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    created = timezone.now() - age
    return Event.objects.create(
        sequence=last + 1, type="alert.published", audience_kind="network", object_type="alert", object_id="x",
        created_at=created, dispatched_at=created if dispatched else None,
    )


def test_live_answers_without_credentials() -> None:
    response = Client().get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_is_200_naming_every_check_when_all_pass(settings: Any) -> None:
    heartbeat_record("exchange.outbox_sweep")
    _event(timedelta(seconds=1), dispatched=False)  # young: fan-out has not had its chance yet
    response = Client().get("/health/ready")
    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok"), "failing": []}


def test_ready_names_beat_when_the_periodic_sweep_has_not_run_for_three_intervals(settings: Any) -> None:
    # The premise, made explicit: a real beat started by an integration test on the same xdist worker
    # may have committed a heartbeat into this worker's test database.
    Heartbeat.objects.all().delete()
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failing"] == ["beat"]
    assert response.json()["checks"]["beat"] == "fail: the periodic sweep has never run"

    stale = timezone.now() - timedelta(seconds=3 * settings.OUTBOX_SWEEP_INTERVAL + 5)
    Heartbeat.objects.update_or_create(name="exchange.outbox_sweep", defaults={"at": stale})
    body = Client().get("/health/ready").json()
    assert body["failing"] == ["beat"]
    assert body["checks"]["beat"].startswith("fail: the periodic sweep last ran")


def test_ready_names_outbox_when_an_event_waits_longer_than_three_sweep_intervals(settings: Any) -> None:
    heartbeat_record("exchange.outbox_sweep")
    _event(timedelta(days=2), dispatched=True)  # dispatched long ago: not a lag
    _event(timedelta(seconds=3 * settings.OUTBOX_SWEEP_INTERVAL + 30), dispatched=False)
    response = Client().get("/health/ready")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["failing"] == ["outbox"]


def test_ready_names_cache_and_broker_when_redis_is_unreachable_and_reveals_nothing(settings: Any) -> None:
    heartbeat_record("exchange.outbox_sweep")
    port = free_port()  # nothing listens there
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}
    with celery_broker(f"redis://127.0.0.1:{port}/0"):
        response = Client().get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["cache", "broker"]
    assert body["checks"]["database"] == "ok"
    assert str(port) not in response.content.decode()  # no address, no error text


@pytest.fixture
def metrics_token(settings: Any) -> str:
    settings.METRICS_TOKEN = "scrape-me-please-0123456789"
    return str(settings.METRICS_TOKEN)


def test_metrics_are_404_while_no_token_is_configured(settings: Any) -> None:
    settings.METRICS_TOKEN = None
    assert Client().get("/metrics").status_code == 404
    assert Client().get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_metrics_need_the_configured_bearer_token(metrics_token: str) -> None:
    response = Client().get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Client().get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert Client().get("/metrics", headers={"Authorization": f"Basic {metrics_token}"}).status_code == 401


def test_metrics_name_every_series_of_spec_9(metrics_token: str, network: Network, api: Any) -> None:
    caller: ApiCaller = api(network.fda.viewer)
    assert caller.get("/api/v1/alerts/").status_code == 200
    response = Client().get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert 'sax_http_requests_total{method="GET",status="200",view="alert-list"}' in text
    assert 'sax_http_request_duration_seconds_bucket{le="0.25",status="200",view="alert-list"}' in text
    for series in (
        "# TYPE sax_events gauge", "sax_events_last_sequence", 'sax_deliveries{state="succeeded"}', 'sax_deliveries{state="failed"}',
        "sax_outbox_lag_seconds", "sax_webhook_endpoints_disabled", "sax_acknowledgements_overdue",
        "# TYPE sax_celery_tasks_total counter",
    ):
        assert series in text, series
    # Tokens and member data stay out of the metrics: only view names, states and counts.
    assert caller.token not in text
    assert "FDA" not in text


def test_invented_http_methods_are_counted_as_other(metrics_token: str, network: Network, api: Any) -> None:
    caller: ApiCaller = api(network.fda.viewer)
    for method in ("FOO", "BREW", "X" * 60):
        assert caller.client.generic(method, "/api/v1/alerts/").status_code < 500
    text = Client().get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).content.decode()

    assert 'method="other"' in text
    assert not any(f'method="{method}"' in text for method in ("FOO", "BREW", "X" * 60))


def test_the_request_id_is_echoed_or_made_and_a_bad_one_is_replaced(network: Network, api: Any) -> None:
    caller: ApiCaller = api(network.fda.viewer)
    given = caller.get("/api/v1/alerts/", HTTP_X_REQUEST_ID="trace-42.abc")
    assert given["X-Request-ID"] == "trace-42.abc"
    made = caller.get("/api/v1/alerts/")
    assert len(made["X-Request-ID"]) == 32
    for bad in ("has spaces in it", "x" * 200, "new\nline"):
        replaced = caller.get("/api/v1/alerts/", HTTP_X_REQUEST_ID=bad)
        assert replaced["X-Request-ID"] != bad
        assert len(replaced["X-Request-ID"]) == 32
    assert Client().get("/api/v1/nowhere/")["X-Request-ID"]  # problem answers too


def test_a_json_log_line_carries_the_request_id_and_the_member(network: Network, api: Any) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    handler.addFilter(RequestContextFilter())
    requests_logger = logging.getLogger("config.requests")
    requests_logger.addHandler(handler)
    try:
        api(network.tga.viewer).get("/api/v1/alerts/", HTTP_X_REQUEST_ID="follow-me")
    finally:
        requests_logger.removeHandler(handler)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "follow-me"
    assert line["member"] == "TGA"
    assert line["logger"] == "config.requests"
    assert line["level"] == "INFO"
    assert line["message"].startswith("GET /api/v1/alerts/ 200")
    assert {"timestamp", "level", "logger", "message", "request_id", "member"} <= set(line)


def test_a_task_queued_under_a_request_carries_its_id_in_the_message_headers() -> None:
    headers: dict[str, Any] = {}
    with request_context("queued-by-request", member="MHRA"):
        task_publish_add_request_id(headers=headers)
    assert headers[TASK_HEADER] == "queued-by-request"
    assert headers["sax_member"] == "MHRA"
    outside: dict[str, Any] = {}
    task_publish_add_request_id(headers=outside)
    assert outside == {}
