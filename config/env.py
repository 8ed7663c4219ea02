"""Every environment variable the service reads, read once, typed and strict.

A bad value stops start-up with a message that names the setting and says what is expected,
so that an operator never runs a half-configured regulator service.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from alerts.choices import Severity

T = TypeVar("T")

SEVERITIES: tuple[str, ...] = tuple(Severity.values)  # the content's own vocabulary, not a copy


class SettingError(ImproperlyConfigured):
    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"Setting {name}={value!r} is invalid: expected {expected}.")
        self.name = name


class MissingSetting(ImproperlyConfigured):
    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"Setting {name} is required {why}.")
        self.name = name


def raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _read(name: str, default: T, parse: Callable[[str], T], expected: str) -> T:
    value = raw(name)
    if value is None:
        return default
    try:
        return parse(value)
    except (ValueError, TypeError) as exc:
        raise SettingError(name, value, expected) from exc


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


def boolean(name: str, default: bool) -> bool:
    return _read(name, default, _parse_bool, "one of 1/0, true/false, yes/no, on/off")


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def positive_int(name: str, default: int) -> int:
    return _read(name, default, _positive_int, "a positive whole number")


def _positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


def positive_float(name: str, default: float) -> float:
    return _read(name, default, _positive_float, "a positive number")


def _proportion(value: str) -> float:
    number = float(value)
    if not 0 <= number < 1:
        raise ValueError(value)
    return number


def proportion(name: str, default: float) -> float:
    return _read(name, default, _proportion, "a proportion between 0 and 1, e.g. 0.05")


def string(name: str, default: str) -> str:
    return raw(name) or default


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = raw(name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise SettingError(name, value, "one of " + ", ".join(choices))
    return value.lower()


def secret(name: str) -> str | None:
    """A bearer secret (e.g. METRICS_TOKEN): None when unset."""
    return raw(name)


def string_list(name: str, default: list[str]) -> list[str]:
    value = raw(name)
    if value is None:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def _schedule(value: str) -> list[int]:
    parts = [part.strip() for part in value.split(",")]
    numbers = [int(part) for part in parts]
    if not numbers or any(number < 0 for number in numbers):
        raise ValueError(value)
    return numbers


def retry_schedule(name: str, default: list[int]) -> list[int]:
    return _read(name, default, _schedule, "comma-separated whole seconds, e.g. 0,5,300,1800")


_RATE = re.compile(r"^(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _rate(value: str) -> str | None:
    if value.lower() in {"off", "none", "0"}:
        return None
    match = _RATE.match(value.lower())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(value)
    return f"{match.group(1)}/{match.group(2)}"


def rate(name: str, default: str | None) -> str | None:
    return _read(name, default, _rate, "a rate such as 600/min, 20/s, 10000/hour, or 'off'")


# Acknowledgement deadlines in hours by severity, unless ACK_DEADLINE_HOURS changes some (None: no deadline).
DEFAULT_ACK_DEADLINE_HOURS: dict[str, int | None] = {"critical": 24, "high": 72, "medium": 168, "low": None}


def _deadlines(value: str) -> dict[str, int | None]:
    result = dict(DEFAULT_ACK_DEADLINE_HOURS)
    for part in value.split(","):
        if not part.strip():
            continue
        key, _, hours = part.partition("=")
        key = key.strip().lower()
        if key not in SEVERITIES:
            raise ValueError(part)
        hours = hours.strip().lower()
        result[key] = None if hours in {"", "none", "off"} else _positive_int(hours)
    return result


def ack_deadlines(name: str) -> dict[str, int | None]:
    return _read(
        name,
        dict(DEFAULT_ACK_DEADLINE_HOURS),
        _deadlines,
        "severity=hours pairs such as critical=24,high=72,medium=168 (low=none for no deadline)",
    )


# Reliance review deadlines in hours (SPEC §10.1): by the alert's severity, `change` for a change of
# the reference authorisation, `lapsed` for a follows_reference authorisation whose reference lapsed.
DEFAULT_RELIANCE_REVIEW_HOURS: dict[str, int] = {
    "critical": 24, "high": 48, "medium": 72, "low": 168, "change": 72, "lapsed": 24,
}


def _review_hours(value: str) -> dict[str, int]:
    result = dict(DEFAULT_RELIANCE_REVIEW_HOURS)
    for part in value.split(","):
        if not part.strip():
            continue
        key, separator, hours = part.partition("=")
        key = key.strip().lower()
        if not separator or key not in result:
            raise ValueError(part)
        result[key] = _positive_int(hours.strip())
    return result


def reliance_review_hours(name: str) -> dict[str, int]:
    return _read(
        name,
        dict(DEFAULT_RELIANCE_REVIEW_HOURS),
        _review_hours,
        "key=hours pairs such as critical=24,high=48,medium=72,low=168,change=72 (and lapsed=24)",
    )


def _url(name: str, value: str, schemes: set[str]) -> str:
    scheme = value.split(":", 1)[0].lower()
    if scheme not in schemes:
        raise SettingError(name, value, "a URL with scheme " + " or ".join(sorted(schemes)))
    return value


def database(name: str, default_sqlite_path: str) -> dict[str, object]:
    connect_timeout = positive_int("DATABASE_CONNECT_TIMEOUT", 3)
    value = raw(name)
    if value is None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": default_sqlite_path,
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    _url(name, value, {"postgres", "postgresql", "pgsql", "sqlite"})
    try:
        config = environ.Env.db_url_config(value)
    except Exception as exc:
        raise SettingError(name, value, "a database URL like postgres://user:pass@host:5432/name") from exc
    if config.get("ENGINE") == "django.db.backends.postgresql":
        config["CONN_MAX_AGE"] = positive_int("DATABASE_CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
        # A database that does not answer fails the request in seconds (a 503), never hangs it.
        options = dict(config.get("OPTIONS") or {})
        options.setdefault("connect_timeout", connect_timeout)
        config["OPTIONS"] = options
    return dict(config)


def broker(name: str, default: str) -> str:
    value = raw(name)
    if value is None:
        return default
    return _url(name, value, {"redis", "rediss", "filesystem", "memory"})


def cache(name: str) -> dict[str, object]:
    value = raw(name)
    if value is None:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sax"}
    _url(name, value, {"redis", "rediss"})
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": value,
        # Redis down: a cache call fails within a second (and the request answers 503), never hangs.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2, "retry_on_timeout": False},
    }


def email(name: str) -> dict[str, object]:
    value = raw(name)
    if value is None:
        return environ.Env.email_url_config("consolemail://")
    try:
        return dict(environ.Env.email_url_config(value))
    except Exception as exc:
        raise SettingError(name, value, "an e-mail URL like smtp://user:pass@host:587 or consolemail://") from exc


def _generated_secret(fallback_file: os.PathLike[str]) -> str:
    """A random secret generated once and kept (mode 0600) beside the embedded database."""
    import secrets
    from pathlib import Path

    path = Path(fallback_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def secret_key(name: str, fallback_file: os.PathLike[str]) -> str:
    """SECRET_KEY from the environment; else one generated once and kept beside the embedded database."""
    value = raw(name)
    if value is not None:
        if len(value) < 32:
            raise SettingError(name, "<hidden>", "at least 32 random characters")
        return value
    return _generated_secret(fallback_file)


def signing_keys_secret(name: str, fallback_file: os.PathLike[str], *, required: bool) -> str:
    """The secret that encrypts members' private signing keys at rest (SPEC §8).

    Required when the operator runs with DEBUG=0: a development secret generated into var/ would
    silently make every private key readable to whoever can read that directory.
    """
    value = raw(name)
    if value is not None:
        if len(value) < 32:
            raise SettingError(name, "<hidden>", "at least 32 random characters")
        return value
    if required:
        raise MissingSetting(name, "when DEBUG=0: set it to at least 32 random characters, kept outside the database")
    return _generated_secret(fallback_file)


DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def _site_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(value)
    if parts.username or parts.password:
        raise ValueError(value)
    parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    return value.rstrip("/")


def site_url(name: str, *, required: bool) -> str:
    """The service's public base URL (SPEC §6): every absolute link and identifier is built from it,
    never from a request's host. Required when the operator runs with DEBUG=0: a default would put
    127.0.0.1 into e-mails, feeds and exports that leave the machine."""
    if raw(name) is None and required:
        raise MissingSetting(name, "when DEBUG=0: the service's public base URL, e.g. https://exchange.example")
    return _read(name, DEFAULT_SITE_URL, _site_url,
                 "an http(s) URL with a host and no query, e.g. https://exchange.example")
