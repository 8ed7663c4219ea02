"""Running it for real (SPEC §7, §9): gunicorn with two workers, a Celery worker with beat, a
PostgreSQL cluster and a Redis of the test's own, and a webhook receiver.

Metrics and JSON logs are read as an operator reads them (a scrape, the processes' output). Then
the PostgreSQL is stopped and started again under the running processes, and the Redis that is
broker and cache.

What an operator would see: `/health/ready` says which dependency failed; API requests answer
`503` problem+json with `Retry-After` in seconds (never a 500, never a hang); when the
dependency returns, the same gunicorn and worker processes serve again by themselves, and an
alert published just before the outage reaches its subscriber's webhook afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from config.metrics import STATE_CACHE_SECONDS
from tests.integration.conftest import WORKER_ENV, RedisServer, Worker, wait_until
from tests.integration.receiver import Receiver, Reply
from tests.integration.stack import Gunicorn, PostgresCluster, django_script, http, manage, postgres_bin

pytestmark = [pytest.mark.integration]

METRICS_TOKEN = "metrics-token-for-tests"
SIGNING_KEYS_SECRET = secrets.token_urlsafe(48)

SECRETS = """
from django.conf import settings
from exchange.models import WebhookEndpoint
print(json.dumps({
    "SECRET_KEY": settings.SECRET_KEY,
    **{f"webhook secret {n}": e.secret for n, e in enumerate(WebhookEndpoint.objects.all())},
}))
"""

SEED = """
from tests.factories import network_make, token_make, tool_make
from exchange.services.endpoints import endpoint_create
from exchange.services.subscriptions import subscription_create
network = network_make()
tool = tool_make(actor=network.mhra.publisher)
endpoint = endpoint_create(actor=network.fda.admin, member=network.fda.member, url=RECEIVER_URL)
subscription_create(actor=network.fda.admin, member=network.fda.member, name="all alerts",
                    webhook_endpoints=[str(endpoint.pk)])
print(json.dumps({
    "publisher": token_make(user=network.mhra.publisher).value,
    "fda": token_make(user=network.fda.viewer).value,
    "tool": str(tool.pk),
}))
"""


@dataclass
class Stack:
    postgres: PostgresCluster
    redis: RedisServer
    web: Gunicorn
    worker: Worker
    receiver: Receiver
    tokens: dict[str, str]
    workdir: Path
    env: dict[str, str]

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        return http("GET", self.web.url + path, token=token, **kwargs)

    def post(self, path: str, body: Any, token: str | None = None, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
        return http("POST", self.web.url + path, token=token, body=body, **kwargs)

    def ready(self) -> tuple[int, dict[str, Any]]:
        status, _, body = self.get("/health/ready", timeout=15)
        return status, json.loads(body)

    def publish_alert(self, title: str, request_id: str | None = None) -> str:
        from tests.alerts.factories import alert_payload

        class _Tool:
            pk = self.tokens["tool"]

        payload = alert_payload(tools=[_Tool()], title=title)  # type: ignore[list-item]
        status, _, body = self.post("/api/v1/alerts/", payload, token=self.tokens["publisher"])
        assert status == 201, body
        alert_id = json.loads(body)["id"]
        headers = {"X-Request-ID": request_id} if request_id else {}
        status, response_headers, body = self.post(
            f"/api/v1/alerts/{alert_id}/publish/", {}, token=self.tokens["publisher"], headers=headers
        )
        assert status == 200, body
        if request_id:
            assert response_headers["x-request-id"] == request_id
        return str(alert_id)

    def logs(self) -> str:
        return self.web.log.read_text(errors="replace") + self.worker.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if postgres_bin() is None:
        pytest.skip("needs PostgreSQL server binaries (initdb, pg_ctl)")
    workdir = tmp_path_factory.mktemp("outages")
    postgres = PostgresCluster().init().start()
    redis = RedisServer(workdir).start()
    receiver = Receiver().start()
    web = worker = None
    try:
        env = {
            **os.environ, **WORKER_ENV,
            "DATABASE_URL": postgres.create_database("sax"),
            "CELERY_BROKER_URL": redis.url,
            "REDIS_URL": redis.url.rsplit("/", 1)[0] + "/1",
            "SAX_VAR_DIR": str(workdir / "var"),
            "METRICS_TOKEN": METRICS_TOKEN,
            "SIGNING_KEYS_SECRET": SIGNING_KEYS_SECRET,
            "LOG_FORMAT": "json",
            "DEBUG": "0",
            "SITE_URL": "https://exchange.example",  # required with DEBUG=0
        }
        manage(env, "migrate", "--noinput")
        tokens = django_script(env, f"RECEIVER_URL = {receiver.url('/fda')!r}\n" + SEED)
        web = Gunicorn(env=env, workdir=workdir, workers=2).start()
        worker = Worker(broker=redis.url, workdir=workdir, **{k: v for k, v in env.items() if k != "CELERY_BROKER_URL"})
        worker.start()
        built = Stack(postgres, redis, web, worker, receiver, tokens, workdir, env)
        wait_until(lambda: built.ready()[0] == 200, timeout=60, message="the stack never became ready")
        yield built
    finally:
        for process in (worker, web):
            if process is not None:
                process.stop()
        receiver.stop()
        redis.stop()
        postgres.destroy()


def test_ready_is_200_with_every_check_named(stack: Stack) -> None:
    status, body = stack.ready()
    assert status == 200
    assert body["checks"] == {name: "ok" for name in ("database", "cache", "broker", "beat", "outbox")}
    assert body["failing"] == []
    status, _, live = stack.get("/health/live")
    assert (status, json.loads(live)) == (200, {"status": "ok"})


def metrics(stack: Stack) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, _, body = stack.get("/metrics", token=METRICS_TOKEN)
    assert status == 200, body
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    return sum(
        v for (n, sample_labels), v in samples.items()
        if n == name and set(labels.items()) <= set(sample_labels)
    )


def test_metrics_need_the_token_and_move_when_an_alert_is_published_and_delivered(stack: Stack) -> None:
    assert stack.get("/metrics")[0] == 401
    assert stack.get("/metrics", token="not-the-metrics-token")[0] == 401
    assert stack.get("/metrics", token=stack.tokens["publisher"])[0] == 401  # an API token is not enough

    before = metrics(stack)
    delivered_before = value(before, "sax_deliveries", state="succeeded")
    alert_id = stack.publish_alert("Counted by the metrics")
    stack.receiver.wait_for(lambda rs: [r for r in rs if alert_id in r.body], timeout=30)

    def settled() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        time.sleep(STATE_CACHE_SECONDS)  # what the scrape reads from the database is kept that long
        now = metrics(stack)
        return now if value(now, "sax_deliveries", state="succeeded") > delivered_before else None

    after = wait_until(settled, timeout=30)
    assert value(after, "sax_events", type="alert.published") == value(before, "sax_events", type="alert.published") + 1
    assert value(after, "sax_events_last_sequence") > value(before, "sax_events_last_sequence")
    # The webhook, and the immediate e-mails to the people whose preferences ask for them (SPEC §10.4).
    assert value(after, "sax_deliveries", state="succeeded") >= delivered_before + 1
    assert value(after, "sax_outbox_lag_seconds") < 10
    for name in ("sax_webhook_endpoints_disabled", "sax_acknowledgements_overdue"):
        assert any(n == name for n, _ in after)
    # Requests are counted by view and status across both gunicorn workers.
    publish_view = {"view": "alert-publish", "status": "200"}
    assert value(after, "sax_http_requests_total", **publish_view) == value(
        before, "sax_http_requests_total", **publish_view
    ) + 1
    assert value(after, "sax_http_request_duration_seconds_count", **publish_view) >= 1
    # Celery task outcomes, counted by the worker in Redis.
    for task in ("exchange.event_dispatch", "exchange.deliveries_pump"):
        assert value(after, "sax_celery_tasks_total", task=task, outcome="success") > value(
            before, "sax_celery_tasks_total", task=task, outcome="success"
        )


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                lines.append(json.loads(line))
    return lines


def test_the_publish_request_and_the_deliveries_it_caused_log_one_request_id(stack: Stack) -> None:
    request_id = "publish-" + uuid.uuid4().hex
    alert_id = stack.publish_alert("Followed through the logs", request_id=request_id)
    stack.receiver.wait_for(lambda rs: [r for r in rs if alert_id in r.body], timeout=30)

    def logged() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        web = [line for line in json_lines(stack.web.log.read_text()) if line.get("request_id") == request_id]
        worker = [line for line in json_lines(stack.worker.log.read_text()) if line.get("request_id") == request_id]
        deliveries = [line for line in worker if line["logger"] == "exchange.deliveries" and line.get("ok")]
        return (web, worker) if web and deliveries else None

    web, worker = wait_until(logged, timeout=15)
    [publish] = [line for line in web if line["logger"] == "config.requests"]
    assert publish["message"].startswith(f"POST /api/v1/alerts/{alert_id}/publish/ 200")
    assert publish["member"] == "MHRA"
    for line in web + worker:
        assert {"timestamp", "level", "logger", "message", "request_id", "member"} <= set(line)
    # The fan-out task and the delivery lines carry the id; the delivery names what it delivered.
    assert any(line["logger"] == "celery.app.trace" and "exchange.event_dispatch" in line["message"] for line in worker) \
        or any(line["logger"] == "exchange.deliveries" for line in worker)
    assert any(line["logger"] == "exchange.deliveries" and line["channel"] == "webhook" for line in worker)


def test_a_database_outage_is_503_with_retry_after_and_everything_recovers_by_itself(stack: Stack) -> None:
    web_master, web_workers = stack.web.process.pid, stack.web.worker_pids()  # type: ignore[union-attr]
    worker_pid = stack.worker.process.pid  # type: ignore[union-attr]
    # The receiver fails the first attempt slowly, so the delivery is still being tried when the database goes.
    stack.receiver.script("/fda", [Reply(500, delay=1.0)])

    alert_id = stack.publish_alert("Published just before the database restart")
    stack.postgres.stop()
    stopped_at = time.time()
    try:
        started = time.monotonic()
        status, body = stack.ready()
        assert time.monotonic() - started < 10, "readiness must not hang on a dead database"
        assert status == 503
        assert "database" in body["failing"]
        assert body["checks"]["database"].startswith("fail")
        assert body["checks"]["cache"] == "ok"

        for path in ("/api/v1/alerts/", f"/api/v1/alerts/{alert_id}/", "/api/v1/inbox/"):
            started = time.monotonic()
            status, headers, raw = stack.get(path, token=stack.tokens["fda"])
            assert time.monotonic() - started < 10
            assert status == 503, (path, raw)
            assert headers["content-type"].startswith("application/problem+json")
            assert int(headers["retry-after"]) > 0
            problem = json.loads(raw)
            assert problem["status"] == 503
            assert problem["type"].endswith("/service-unavailable")
            assert headers["x-request-id"]
        status, headers, _ = stack.post("/api/v1/alerts/", {"title": "x"}, token=stack.tokens["publisher"])
        assert status == 503
        assert "retry-after" in headers
        time.sleep(3)  # the worker and beat keep trying meanwhile
    finally:
        stack.postgres.start()

    wait_until(lambda: stack.ready()[0] == 200, timeout=60, message="readiness did not recover")
    status, _, raw = stack.get(f"/api/v1/alerts/{alert_id}/", token=stack.tokens["fda"])
    assert status == 200, raw

    delivered = stack.receiver.wait_for(
        lambda requests: [r for r in requests if r.path == "/fda" and alert_id in r.body and r.at > stopped_at],
        timeout=60,
    )
    assert delivered
    # The same processes served throughout: nothing was restarted by hand or by a supervisor.
    assert stack.web.process.pid == web_master
    assert stack.web.process.poll() is None
    assert stack.web.worker_pids() == web_workers
    assert stack.worker.process.pid == worker_pid
    assert stack.worker.process.poll() is None
    assert '"status_code": 500' not in stack.web.log.read_text(errors="replace")


def test_a_redis_outage_keeps_the_api_answering_and_loses_no_delivery(stack: Stack) -> None:
    worker_pid = stack.worker.process.pid  # type: ignore[union-attr]
    # A delivery is in flight (its task not yet acknowledged) when Redis goes: the receiver is slow.
    stack.receiver.script("/fda", [Reply(200, delay=3.0)])
    in_flight = stack.publish_alert("In flight when Redis stops")
    stack.receiver.wait_for(lambda rs: [r for r in rs if in_flight in r.body], timeout=30)
    stack.redis.stop()
    try:
        status, body = stack.ready()
        assert status == 503
        assert {"broker", "cache"} <= set(body["failing"])
        assert body["checks"]["database"] == "ok"
        status, _, raw = stack.get("/api/v1/alerts/", token=stack.tokens["fda"])
        assert status == 200, raw
        alert_id = stack.publish_alert("Published while Redis is down")  # publishing keeps working
    finally:
        stack.redis.start()  # the same port: clients reconnect by themselves

    wait_until(lambda: stack.ready()[0] == 200, timeout=60, message="readiness did not recover")
    stack.receiver.wait_for(
        lambda requests: [r for r in requests if r.path == "/fda" and alert_id in r.body], timeout=60
    )
    # The worker lived through losing the broker with a task unacknowledged (see config/celery.py).
    assert stack.worker.process.pid == worker_pid
    assert stack.worker.process.poll() is None
    assert "Unrecoverable error" not in stack.worker.log.read_text(errors="replace")


def test_no_token_secret_or_password_appears_in_any_log(stack: Stack) -> None:
    """Runs last: every line the processes wrote during this module's runs, publishing and outages included."""
    secrets = django_script(stack.env, SECRETS)
    logs = stack.logs() + stack.postgres.log_text()
    assert json_lines(stack.logs()), "the processes logged JSON lines"
    for name, secret in {**secrets, "publisher token": stack.tokens["publisher"], "FDA token": stack.tokens["fda"],
                         "metrics token": METRICS_TOKEN, "signing keys secret": SIGNING_KEYS_SECRET}.items():
        assert secret, name
        assert secret not in logs, f"{name} appears in the logs"
    for marker in ("whsec_", "Bearer ", "Authorization", "PRIVATE KEY", "sax_"):
        assert marker not in logs, f"{marker!r} appears in the logs"
