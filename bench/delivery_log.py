"""Benchmark (not a test): worker CPU per delivery spent logging recorded attempts (issue #29).

    LOG_FORMAT=json LOG_LEVEL=INFO .venv/bin/python bench/delivery_log.py 2>/dev/null

Times, in this process, `exchange.services.delivery_log` on batches of 100 successful attempts as
the pump records them: one line per attempt (what the service did before) against what it does
now at INFO (one line per event and channel per batch). The lines go to standard error, as the
worker's do; send it to /dev/null or a file. No database is needed (request ids are given).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=30, help="batches of 100 per way (the median is reported)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from exchange.services.deliveries.claims import LeasedDelivery
    from exchange.services.delivery_log import _attempt, delivery_attempts_log
    from exchange.transports.base import Outcome

    event = uuid.uuid4()
    results = [(LeasedDelivery(uuid.uuid4(), event, 1, "webhook", uuid.uuid4(), "", 0, 0),
                Outcome(timezone.now(), ok=True, status_code=204, duration_ms=3)) for _ in range(100)]

    def per_attempt() -> None:
        for item, outcome in results:
            _attempt(item, outcome, "publish-0d5c6a1e", logging.INFO)

    def per_batch() -> None:
        delivery_attempts_log(results, request_ids={event: "publish-0d5c6a1e"})

    print(f"LOG_FORMAT={settings.LOG_FORMAT} LOG_LEVEL={settings.LOG_LEVEL}; load average {os.getloadavg()[0]:.2f}")
    for name, way in (("one line per attempt", per_attempt), ("one line per batch (INFO now)", per_batch)):
        runs = []
        for _ in range(args.batches):
            started = time.process_time()
            way()
            runs.append(time.process_time() - started)
        print(f"{name:<32} {1e6 * statistics.median(runs) / len(results):6.2f} µs of CPU per delivery", flush=True)


if __name__ == "__main__":
    main()
