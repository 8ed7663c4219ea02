"""Heartbeats of periodic tasks: written when one succeeds (config/celery.py), read by readiness
(config/health.py, the `beat` check)."""

from __future__ import annotations

from django.utils import timezone

BEAT_HEARTBEAT = "exchange.outbox_sweep"


def heartbeat_record(name: str) -> None:
    """Called when a periodic task runs (see config/celery.py)."""
    from exchange.models import Heartbeat  # models load once the apps are ready

    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
