"""Real processes for integration tests: a Redis broker of their own, Celery workers, an HTTP receiver.

Each test session starts its own `redis-server` on a free port (so that nothing else using the
shared Redis can take or leave messages), points this process's Celery app at it, and starts
`celery -A config worker -B` subprocesses against pytest-django's test database. Tests use
`transaction=True`, so the worker sees what they commit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.integration.receiver import Receiver
from tests.integration.stack import stop_process_group
from tests.shared_network import shared

ROOT = Path(__file__).resolve().parents[2]

# What the worker runs with: short timeouts and retries, a sweep every 2 s, leases of 6 s.
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE_URLS": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_RETRY_SCHEDULE": "0,1,1,1,1",
    "DELIVERY_LEASE_SECONDS": "8",
    "OUTBOX_SWEEP_SECONDS": "4",
    "WEBHOOK_DISABLE_AFTER_SECONDS": "86400",
    "EMAIL_URL": "consolemail://",
    "LOG_LEVEL": "INFO",
    "PYTHONUNBUFFERED": "1",
}


def integration_available() -> str | None:
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "integration tests need PostgreSQL (set DATABASE_URL)"
    if shutil.which("redis-server") is None:
        return "integration tests need redis-server on PATH"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (what on-commit dispatch uses) at another broker."""
    from config.celery import app

    def switch(to: str | None) -> None:
        # Celery prefers CELERY_BROKER_WRITE_URL (then CELERY_BROKER_URL) from the environment.
        if to is None:
            os.environ.pop("CELERY_BROKER_WRITE_URL", None)
        else:
            os.environ["CELERY_BROKER_WRITE_URL"] = to
        app._pool = None
        with contextlib.suppress(AttributeError, KeyError):
            app.__dict__["amqp"]._producer_pool = None

    previous = os.environ.get("CELERY_BROKER_WRITE_URL")
    switch(url)
    try:
        yield
    finally:
        switch(previous)


def database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """`celery -A config worker -B` in its own process group, logging to a file."""

    counter = 0

    def __init__(self, *, broker: str, workdir: Path, **env: str) -> None:
        Worker.counter += 1
        self.name = f"fanout{Worker.counter}"
        self.workdir = workdir
        self.log = workdir / f"{self.name}.log"
        self.env = {
            **os.environ, **WORKER_ENV, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": broker,
            "REDIS_URL": broker.rsplit("/", 1)[0] + "/1", **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> Worker:
        self.log.write_text("")
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(self.workdir / f"{self.name}-beat"),
             "--loglevel", "INFO", "--concurrency", self.env.get("WORKER_CONCURRENCY", "2"),
             "--hostname", f"{self.name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while " ready." not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited at start-up:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"worker not ready within {timeout} s:\n{self.tail()}")
            time.sleep(0.1)
        return self

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole worker: main process, pool processes and embedded beat."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_process_group(self.process, timeout=15)


@pytest.fixture(scope="session")
def integration_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("integration")


@pytest.fixture(scope="session")
def broker(integration_dir: Path) -> Iterator[RedisServer]:
    reason = integration_available()
    if reason:
        pytest.skip(reason)
    server = RedisServer(integration_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def worker(django_db_setup: Any, broker: RedisServer, integration_dir: Path) -> Iterator[Worker]:
    """One worker for this package's tests that need a healthy one (tests that kill workers start their own).

    Stopped when the package is done, and the database emptied after it: its embedded beat keeps
    working on the test database (digests to the shared network's users, sweeps), and under
    pytest-xdist other modules' tests run next in the same database; a row it committed after the last
    test's flush would be a second e-mail in their assertions or a user they cannot hide."""
    started = Worker(broker=broker.url, workdir=integration_dir).start()
    yield started
    started.stop()
    shared.flush()


@pytest.fixture
def published_to(broker: RedisServer) -> Iterator[RedisServer]:
    with celery_broker(broker.url):
        yield broker


@pytest.fixture(autouse=True)
def _private_urls(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def wait_until(predicate: Any, timeout: float = 30.0, interval: float = 0.1, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(interval)
