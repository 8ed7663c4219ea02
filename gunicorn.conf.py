"""gunicorn's settings, read from the working directory by a plain `gunicorn config.wsgi`.

Prometheus multiprocess mode: every worker writes its request counters into one directory, so
that `/metrics`, whichever worker answers it, sums them all (config/metrics.py). Unless
PROMETHEUS_MULTIPROC_DIR names one, each gunicorn master uses a fresh temporary directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="sax-metrics-")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A worker stuck on a dependency is replaced; requests themselves fail fast (connect timeouts).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = None  # the service logs what matters itself, with request ids


def on_starting(server: Any) -> None:
    """A fresh master starts from zero: leftovers of a previous run would be summed in."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def post_worker_init(worker: Any) -> None:
    """The application is loaded: collections skip it from now on (config/heap.py)."""
    from config.heap import freeze_loaded_heap

    freeze_loaded_heap()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
