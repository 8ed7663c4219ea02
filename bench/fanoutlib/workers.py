"""The service's own processes for a benchmark run: a Celery worker (and, as deployed, Celery beat),
started in one of two configurations so that `bench/fanout.py --as-deployed` can interleave them.

- plain: what `bench/fanout.py` has always run — the worker at WARNING, text logs, no metrics
  token, no cache (task outcomes counted in-process), no beat;
- deployed: as docker-compose.yml runs it — the worker at INFO, `LOG_FORMAT=json`, `METRICS_TOKEN`
  set, the cache (and so the task-outcome counters) on Redis, and Celery beat beside it signing
  an audit checkpoint every `CHECKPOINT_SECONDS`;
- plain-beat (for `--as-deployed`): plain, with beat running at the default hourly checkpoints,
  so that the two configurations differ only in what observability costs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHECKPOINT_SECONDS = 3  # "every few seconds" (issue #29): far more often than the hourly default
METRICS_TOKEN = "bench-metrics-token-not-a-secret"


@dataclass(frozen=True)
class Configuration:
    name: str
    loglevel: str
    environment: dict[str, str]
    beat: bool
    cache: bool  # REDIS_URL set: the cache, and the task-outcome counters, on Redis


PLAIN = Configuration("plain", "WARNING", {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}, beat=False, cache=False)
PLAIN_WITH_BEAT = Configuration(
    "plain", "WARNING", {"LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "AUDIT_CHECKPOINT_SECONDS": "3600"},
    beat=True, cache=False,
)
DEPLOYED = Configuration(
    "deployed", "INFO",
    {"LOG_LEVEL": "INFO", "LOG_FORMAT": "json", "METRICS_TOKEN": METRICS_TOKEN,
     "AUDIT_CHECKPOINT_SECONDS": str(CHECKPOINT_SECONDS)},
    beat=True, cache=True,
)
# What the two configurations may set: each starts from the caller's environment without any of them.
_OWNED = ("LOG_LEVEL", "LOG_FORMAT", "METRICS_TOKEN", "AUDIT_CHECKPOINT_SECONDS", "REDIS_URL")


@dataclass
class ServiceProcesses:
    """`celery -A config worker` (and beat) in one configuration; `start` replaces the running ones."""

    root: Path
    workdir: Path
    base_environment: dict[str, str]
    cache_url: str
    configuration: Configuration | None = None
    worker: Any = None
    beat: Any = None
    started: int = field(default=0)

    def environment(self, configuration: Configuration) -> dict[str, str]:
        env = {k: v for k, v in self.base_environment.items() if k not in _OWNED}
        env.update(configuration.environment)
        if configuration.cache:
            env["REDIS_URL"] = self.cache_url
        return env

    def log_path(self, configuration: Configuration) -> Path:
        return self.workdir / f"worker-{configuration.name}.log"

    def start(self, configuration: Configuration) -> None:
        self.stop()
        env = self.environment(configuration)
        self.started += 1
        log = self.log_path(configuration).open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", configuration.loglevel,
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if configuration.beat:
            schedule = self.workdir / f"beat-schedule-{self.started}"
            self.beat = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", configuration.loglevel,
                 "--schedule", str(schedule)],
                cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.configuration = configuration

    def stop(self) -> None:
        for process in (self.beat, self.worker):
            if process is None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        self.worker = self.beat = None
        self.configuration = None

    def tail(self, size: int = 3000) -> str:
        if self.configuration is None:
            return ""
        return self.log_path(self.configuration).read_text(errors="replace")[-size:]
