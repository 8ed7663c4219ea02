"""The whole service as separate processes, for outage tests and the soak benchmark.

A PostgreSQL cluster of its own (initdb + pg_ctl from /usr/lib/postgresql/*/bin, in a temporary
directory, on a free port: the machine's shared 5432 is never touched), gunicorn with several
workers, and Celery workers with beat (tests.integration.conftest.Worker). Each piece can be
stopped and started again on the same port, as an operator's restart would.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PostgresCluster:
    """A throw-away PostgreSQL cluster. As root, its processes run as the `postgres` user."""

    def __init__(self, workdir: Path | None = None, port: int | None = None, *, settings: dict[str, str] | None = None) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bin = bindir
        self.port = port or free_port()
        # Its own directory under /tmp: as root, pytest's temporary directories are closed to `postgres`.
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sax-pg-"))
        self.data = self.workdir / "pgdata"
        self.log = self.workdir / "postgres.log"
        self.settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.workdir),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "200",
            "log_lock_waits": "on",
            "deadlock_timeout": "1s",
            **(settings or {}),
        }

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr + self.log_tail())
        return result

    def init(self) -> PostgresCluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
        return self

    def start(self) -> PostgresCluster:
        options = " ".join(f"-c {key}={value}" for key, value in self.settings.items())
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", f"-p {self.port} {options}", "-w", "-t", "60",
                  "start")
        return self

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def manage(env: dict[str, str], *argv: str, timeout: float = 300) -> str:
    """`manage.py …` against `env` (its own DATABASE_URL); its stdout."""
    result = subprocess.run(
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def django_script(env: dict[str, str], code: str, timeout: float = 300) -> Any:
    """Run Python with Django set up against `env`; the script prints one JSON value as its last line."""
    prelude = "import django, json\ndjango.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"script failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class Gunicorn:
    """`gunicorn config.wsgi` with several workers, from the repository root (so gunicorn.conf.py applies)."""

    def __init__(self, *, env: dict[str, str], workdir: Path, workers: int = 2, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workers = workers
        self.env = {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{self.port}")}
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Gunicorn:
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--graceful-timeout", "5"],
            cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            with contextlib.suppress(OSError):
                status, _, _ = http("GET", self.url + "/health/live", timeout=2)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not serving within {timeout} s:\n{self.tail()}")
            time.sleep(0.2)

    def worker_pids(self) -> set[int]:
        if self.process is None:
            return set()
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return {int(pid) for pid in children.read_text().split()}
        return set()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        stop_process_group(self.process, timeout=20)


def stop_process_group(process: subprocess.Popen[bytes] | None, *, timeout: float) -> None:
    """SIGTERM a process started with `start_new_session` and all it started; SIGKILL what outlives `timeout`."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def http(
    method: str, url: str, *, token: str | None = None, body: Any = None, headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with the standard library: (status, lower-cased headers, body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
