"""Settings are strict: a bad environment value stops start-up naming the setting (SPEC §6)."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(settings.BASE_DIR)
# Start Django the way every process does, and read a setting so that nothing is lazy.
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.API_RATE_LIMIT)"
ENV_NAMES = (
    "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_URL",
    "SECURE_SSL_REDIRECT", "API_RATE_LIMIT", "WEBHOOK_ALLOW_PRIVATE_URLS", "WEBHOOK_TIMEOUT_SECONDS",
    "WEBHOOK_RETRY_SCHEDULE", "WEBHOOK_DISABLE_AFTER_SECONDS", "DELIVERY_LEASE_SECONDS", "OUTBOX_SWEEP_SECONDS",
    "ACK_DEADLINE_HOURS", "SIGNAL_MARGIN", "SIGNING_KEYS_SECRET", "AUDIT_CHECKPOINT_SECONDS",
    "EVENT_RETENTION_DAYS", "METRICS_TOKEN", "LOG_FORMAT", "LOG_LEVEL",
    "DATABASE_CONNECT_TIMEOUT", "API_MAX_BODY_BYTES", "SITE_URL", "EMAIL_IMMEDIATE_PER_HOUR",
)


def _launch(tmp_path: Path, **overrides: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SAX_VAR_DIR": str(tmp_path / "var"), **overrides})
    return subprocess.Popen(
        [sys.executable, "-c", PROBE], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )


def test_the_service_starts_on_defaults_and_on_good_values(tmp_path: Path, subtests: pytest.Subtests) -> None:
    embedded = _launch(tmp_path / "embedded")  # nothing set at all
    configured = _launch(
        tmp_path / "configured", API_RATE_LIMIT="off", WEBHOOK_TIMEOUT_SECONDS="2.5",
        ACK_DEADLINE_HOURS="critical=12,low=none", WEBHOOK_RETRY_SCHEDULE="0,5,60", SIGNAL_MARGIN="0.1",
        DEBUG="false", DATABASE_URL="postgres://postgres@127.0.0.1:5432/sax",
        SIGNING_KEYS_SECRET="a-long-random-secret-for-the-settings-test-0123456789", AUDIT_CHECKPOINT_SECONDS="600",
        SITE_URL="https://exchange.example", EMAIL_IMMEDIATE_PER_HOUR="5",
    )

    for process, rate in ((embedded, "600/min"), (configured, "None")):
        stdout, stderr = process.communicate(timeout=120)
        with subtests.test(rate=rate):
            assert process.returncode == 0, stderr
            assert stdout.strip() == rate


BAD_VALUES = [
    ("WEBHOOK_TIMEOUT_SECONDS", "abc"),
    ("WEBHOOK_TIMEOUT_SECONDS", "-1"),
    ("API_RATE_LIMIT", "lots"),
    ("API_RATE_LIMIT", "0/min"),
    ("ACK_DEADLINE_HOURS", "urgent=1"),
    ("ACK_DEADLINE_HOURS", "critical=soon"),
    ("DATABASE_URL", "mysql://x"),
    ("CELERY_BROKER_URL", "amqp://guest@localhost//"),
    ("REDIS_URL", "memcached://localhost"),
    ("EMAIL_URL", "carrier-pigeon://loft"),
    ("WEBHOOK_RETRY_SCHEDULE", "0,5,later"),
    ("DELIVERY_LEASE_SECONDS", "0"),
    ("OUTBOX_SWEEP_SECONDS", "1.5"),
    ("WEBHOOK_DISABLE_AFTER_SECONDS", "five days"),
    ("SIGNAL_MARGIN", "5"),
    ("API_MAX_BODY_BYTES", "ten megabytes"),
    ("API_MAX_BODY_BYTES", "0"),
    ("SITE_URL", "exchange.example"),
    ("EMAIL_IMMEDIATE_PER_HOUR", "0"),
    ("EMAIL_IMMEDIATE_PER_HOUR", "twenty"),
    ("DEBUG", "maybe"),
    ("SECURE_SSL_REDIRECT", "2"),
    ("WEBHOOK_ALLOW_PRIVATE_URLS", "perhaps"),
    ("SECRET_KEY", "short"),
    ("SIGNING_KEYS_SECRET", "short"),
    ("AUDIT_CHECKPOINT_SECONDS", "hourly"),
    ("EVENT_RETENTION_DAYS", "0"),
    ("EVENT_RETENTION_DAYS", "ninety"),
    ("LOG_FORMAT", "xml"),
    ("LOG_LEVEL", "loud"),
    ("DATABASE_CONNECT_TIMEOUT", "-3"),
    ("SITE_URL", "exchange.example"),
    ("SITE_URL", "ftp://exchange.example"),
    ("SITE_URL", "https://exchange.example/?next=1"),
    ("SITE_URL", "https://"),
]


def test_a_bad_value_stops_the_process_naming_the_setting(tmp_path: Path, subtests: pytest.Subtests) -> None:
    cases = [
        ("WEBHOOK_TIMEOUT_SECONDS", "abc"),
        ("API_RATE_LIMIT", "lots"),
        ("ACK_DEADLINE_HOURS", "urgent=1"),
        ("DATABASE_URL", "mysql://x"),
    ]
    # Started together: each is a whole Python process importing Django.
    processes = [(name, value, _launch(tmp_path / name, **{name: value})) for name, value in cases]

    for name, value, process in processes:
        _, stderr = process.communicate(timeout=120)
        with subtests.test(setting=name):
            assert process.returncode != 0
            assert name in stderr
            assert value in stderr


@pytest.fixture
def bare_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No setting from the environment, and a fresh var directory: the settings module as first run."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SAX_VAR_DIR", str(tmp_path / "var"))
    return monkeypatch


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_every_setting_refuses_a_bad_value_by_name(bare_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    """The settings module itself, executed afresh with one bad value (cheaper than a process each)."""
    bare_env.setenv(name, value)

    with pytest.raises(ImproperlyConfigured) as caught:
        runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    message = str(caught.value)
    assert name in message
    if name in {"SECRET_KEY", "SIGNING_KEYS_SECRET"}:
        assert value not in message  # a secret, even a bad one, is never printed
    else:
        assert value in message


def test_debug_0_without_a_signing_keys_secret_stops_start_up_naming_it(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("DEBUG", "0")

    with pytest.raises(ImproperlyConfigured, match="SIGNING_KEYS_SECRET is required when DEBUG=0"):
        runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    bare_env.setenv("SIGNING_KEYS_SECRET", "x" * 40)
    with pytest.raises(ImproperlyConfigured, match="SITE_URL is required when DEBUG=0"):
        runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    bare_env.setenv("SITE_URL", "https://exchange.example")
    assert runpy.run_path(str(BASE_DIR / "config" / "settings.py"))["SIGNING_KEYS_SECRET"] == "x" * 40


def test_debug_0_without_a_site_url_stops_start_up_naming_it(bare_env: pytest.MonkeyPatch) -> None:
    bare_env.setenv("DEBUG", "0")
    bare_env.setenv("SIGNING_KEYS_SECRET", "x" * 40)

    with pytest.raises(ImproperlyConfigured, match="SITE_URL is required when DEBUG=0"):
        runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    bare_env.setenv("SITE_URL", "https://exchange.example/")
    assert runpy.run_path(str(BASE_DIR / "config" / "settings.py"))["SITE_URL"] == "https://exchange.example"


def test_site_url_defaults_to_the_development_server(bare_env: pytest.MonkeyPatch) -> None:
    assert runpy.run_path(str(BASE_DIR / "config" / "settings.py"))["SITE_URL"] == "http://127.0.0.1:8000"


def test_the_embedded_default_generates_a_private_signing_keys_secret_once(
    tmp_path: Path, bare_env: pytest.MonkeyPatch
) -> None:
    first = runpy.run_path(str(BASE_DIR / "config" / "settings.py"))["SIGNING_KEYS_SECRET"]
    again = runpy.run_path(str(BASE_DIR / "config" / "settings.py"))["SIGNING_KEYS_SECRET"]

    stored = tmp_path / "var" / "signing_keys_secret"
    assert first == again == stored.read_text().strip()
    assert len(first) >= 32
    assert stored.stat().st_mode & 0o077 == 0  # readable by its owner only
