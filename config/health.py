"""`/health/live` and `/health/ready` (SPEC §9): no credentials, no data, and never a hang.

Readiness runs five checks, each bounded by short timeouts:

- `database`: a `SELECT 1` on a connection that is closed afterwards if it failed;
- `cache`: a write and a read of one key in the cache (Redis when `REDIS_URL` is set);
- `broker`: a connection to the Celery broker;
- `beat`: the periodic outbox sweep (queued by `celery beat`) ran within three sweep intervals;
- `outbox`: the oldest undispatched event is younger than three sweep intervals.

A failing check names only its kind of failure (e.g. "unreachable"), never a host, a query or a
value, so that the page can be open to the world.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from config.heartbeats import BEAT_HEARTBEAT

logger = logging.getLogger(__name__)

CHECKS = ("database", "cache", "broker", "beat", "outbox")


class CheckFailed(Exception):
    pass


def stale_after_seconds() -> float:
    """Three sweep intervals: what `beat` and `outbox` tolerate before they fail."""
    return 3 * float(settings.OUTBOX_SWEEP_INTERVAL)


def check_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        connection.close_if_unusable_or_obsolete()
        raise CheckFailed("unreachable") from exc


def check_cache() -> None:
    key = "sax:health:cache"
    value = str(time.monotonic_ns())
    try:
        cache.set(key, value, timeout=30)
        read = cache.get(key)
    except Exception as exc:
        raise CheckFailed("unreachable") from exc
    # locmem or a shared cache: a value written by another process in between is fine too.
    if read is None:
        raise CheckFailed("does not keep values")


def check_broker() -> None:
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:
        raise CheckFailed("unreachable") from exc


def check_beat() -> None:
    from exchange.models import Heartbeat

    try:
        at = Heartbeat.objects.filter(name=BEAT_HEARTBEAT).values_list("at", flat=True).first()
    except Exception as exc:
        raise CheckFailed("unknown: the database is unreachable") from exc
    if at is None:
        raise CheckFailed("the periodic sweep has never run")
    age = (timezone.now() - at).total_seconds()
    if age > stale_after_seconds():
        raise CheckFailed(f"the periodic sweep last ran {int(age)} s ago")


def check_outbox() -> None:
    from exchange.models import Event

    try:
        oldest = (
            Event.objects.filter(dispatched_at__isnull=True)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
    except Exception as exc:
        raise CheckFailed("unknown: the database is unreachable") from exc
    if oldest is None:
        return
    age = (timezone.now() - oldest).total_seconds()
    if age > stale_after_seconds():
        raise CheckFailed(f"the oldest undispatched event is {int(age)} s old")


_RUNNERS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
    "outbox": check_outbox,
}


def readiness() -> dict[str, str]:
    """Each check's result: "ok", or "fail: <kind of failure>"."""
    results: dict[str, str] = {}
    for name in CHECKS:
        try:
            _RUNNERS[name]()
        except CheckFailed as failure:
            results[name] = f"fail: {failure}"
        except Exception:  # a check must never turn into a 500
            logger.exception("health check %s raised", name)
            results[name] = "fail: error"
        else:
            results[name] = "ok"
    return results


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    failing = [name for name, result in checks.items() if result != "ok"]
    body = {"status": "fail" if failing else "ok", "checks": checks, "failing": failing}
    response = JsonResponse(body, status=503 if failing else 200)
    if failing:
        response["Retry-After"] = "10"
    return response

