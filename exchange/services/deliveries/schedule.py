"""When a delivery is attempted: the retry schedule (WEBHOOK_RETRY_SCHEDULE) with jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings


def retry_delay(position: int) -> float | None:
    """Seconds to wait before attempt number `position` (0-based) of a (re)scheduled delivery,
    with ±10 % jitter so that many failed deliveries do not return at the same instant; None
    when the schedule is exhausted."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if position >= len(schedule):
        return None
    base = float(schedule[position])
    return base * random.uniform(0.9, 1.1) if base > 0 else 0.0


def first_attempt_at(now: datetime) -> datetime:
    return now + timedelta(seconds=retry_delay(0) or 0.0)
