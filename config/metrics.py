"""`/metrics` in the Prometheus text format, behind the bearer token `METRICS_TOKEN` (SPEC §9).

Three sources, each correct however many gunicorn and Celery processes run:

- request counts and latencies by view and status: prometheus-client counters kept by the
  middleware below. Under gunicorn (`gunicorn.conf.py`) they are in multiprocess mode
  (`PROMETHEUS_MULTIPROC_DIR`), so a scrape answered by any worker sums them all;
- Celery task outcomes: counted in the shared cache (Redis) by the task signals in
  config/celery.py, so that workers on other machines count too;
- the exchange's own state, read from the database at scrape time with a handful of
  index-backed queries (events by type, deliveries by state, outbox lag, disabled endpoints,
  overdue acknowledgements), kept for a few seconds in the cache so that several scrapers cost
  one set of queries.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

TASK_OUTCOMES_KEY = "sax:metrics:task-outcomes"
STATE_CACHE_KEY = "sax:metrics:state"
STATE_CACHE_SECONDS = 5

REQUESTS = Counter(
    "sax_http_requests_total", "HTTP requests answered, by view and status.", ["view", "method", "status"]
)
LATENCY = Histogram(
    "sax_http_request_duration_seconds",
    "Time to answer an HTTP request, by view and status.",
    ["view", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# Used only when the cache is process-local (the embedded default): counts this process's tasks.
_LOCAL_TASKS = Counter("sax_local_task_outcomes_total", "Celery task outcomes (this process).", ["task", "outcome"])


# The methods a request is counted under; anything a client invents is counted as "other", so that
# no client can grow the number of series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else "other"


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"
    return match.view_name or match._func_path or "<unnamed>"


class MetricsMiddleware:
    """Counts every answered request by view name (the URL pattern's name, not the path) and status."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = _view_name(request)
        status = str(response.status_code)
        try:
            REQUESTS.labels(view, method_label(request.method), status).inc()
            LATENCY.labels(view, status).observe(elapsed)
        except Exception:  # metrics must never fail a request
            logger.debug("recording request metrics failed", exc_info=True)
        return response


# --- Celery task outcomes ---------------------------------------------------------------------------


def _redis_client() -> Any | None:
    """The cache's Redis client when the cache is Redis, else None."""
    inner = getattr(cache, "_cache", None)
    get_client = getattr(inner, "get_client", None)
    if get_client is None:
        return None
    return get_client(TASK_OUTCOMES_KEY, write=True)


def task_outcome_record(task: str, outcome: str) -> None:
    try:
        client = _redis_client()
        if client is None:
            _LOCAL_TASKS.labels(task, outcome).inc()
        else:
            client.hincrby(TASK_OUTCOMES_KEY, f"{task} {outcome}", 1)
    except Exception:  # Redis down: a lost count, never a failed task
        logger.debug("recording a task outcome failed", exc_info=True)


def _task_outcomes() -> dict[tuple[str, str], float]:
    client = _redis_client()
    if client is None:
        return {}
    raw = client.hgetall(TASK_OUTCOMES_KEY)
    outcomes: dict[tuple[str, str], float] = {}
    for field, value in raw.items():
        task, _, outcome = (field.decode() if isinstance(field, bytes) else field).partition(" ")
        outcomes[(task, outcome)] = float(value)
    return outcomes


# --- the exchange's own state, read at scrape time ------------------------------------------------------


def exchange_state() -> dict[str, Any]:
    """One set of cheap queries (each index-backed or on a small table)."""
    from alerts.models import Acknowledgement
    from exchange.models import Delivery, Event, WebhookEndpoint

    now = timezone.now()
    events = dict(Event.objects.order_by().values_list("type").annotate(n=Count("id")))
    last_sequence = Event.objects.aggregate(last=Max("sequence"))["last"] or 0
    deliveries = dict(Delivery.objects.order_by().values_list("state").annotate(n=Count("id")))
    oldest = (
        Event.objects.filter(dispatched_at__isnull=True).order_by("created_at").values_list("created_at", flat=True).first()
    )
    return {
        "events": events,
        "last_sequence": last_sequence,
        "deliveries": deliveries,
        "outbox_lag": max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        "endpoints_disabled": WebhookEndpoint.objects.filter(enabled=False).count(),
        "acks_overdue": Acknowledgement.objects.overdue(now).count(),
    }


class ExchangeCollector(Collector):
    def collect(self) -> Iterable[Any]:
        state = None
        try:
            state = cache.get(STATE_CACHE_KEY)
        except Exception:
            logger.debug("metrics cache unavailable", exc_info=True)
        if state is None:
            state = exchange_state()
            try:
                cache.set(STATE_CACHE_KEY, state, timeout=STATE_CACHE_SECONDS)
            except Exception:
                logger.debug("metrics cache unavailable", exc_info=True)
        from exchange.choices import DeliveryState

        events = GaugeMetricFamily("sax_events", "Events held (within the retention window), by type.", labels=["type"])
        for event_type, count in sorted(state["events"].items()):
            events.add_metric([event_type], count)
        yield events
        yield GaugeMetricFamily(
            "sax_events_last_sequence", "The newest event's sequence: every event ever recorded.",
            value=state["last_sequence"],
        )
        deliveries = GaugeMetricFamily("sax_deliveries", "Deliveries by state.", labels=["state"])
        for delivery_state in DeliveryState.values:
            deliveries.add_metric([delivery_state], state["deliveries"].get(delivery_state, 0))
        yield deliveries
        yield GaugeMetricFamily(
            "sax_outbox_lag_seconds", "Age of the oldest event not yet fanned out (0 when none).",
            value=state["outbox_lag"],
        )
        yield GaugeMetricFamily(
            "sax_webhook_endpoints_disabled", "Webhook endpoints disabled.", value=state["endpoints_disabled"]
        )
        yield GaugeMetricFamily(
            "sax_acknowledgements_overdue", "Requested acknowledgements past their deadline and not complete.",
            value=state["acks_overdue"],
        )
        tasks = CounterMetricFamily("sax_celery_tasks", "Celery task outcomes, by task and outcome.", labels=["task", "outcome"])
        try:
            outcomes = _task_outcomes()
        except Exception:
            logger.debug("task outcomes unavailable", exc_info=True)
            outcomes = {}
        for (task, outcome), count in sorted(outcomes.items()):
            tasks.add_metric([task, outcome], count)
        yield tasks


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in (REQUESTS, LATENCY, _LOCAL_TASKS):
            registry.register(collector)
    registry.register(ExchangeCollector())
    return registry


def _authorised(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN or ""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_TOKEN:
        raise Http404("Metrics are not enabled.")
    if not _authorised(request):
        response = HttpResponse("Send Authorization: Bearer <METRICS_TOKEN>.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


__all__ = ["REGISTRY", "MetricsMiddleware", "metrics", "task_outcome_record"]
