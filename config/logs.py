"""Request ids and member codes in every log line, across the web and the Celery tasks it queues.

`RequestIdMiddleware` takes `X-Request-ID` from the request (or makes one), keeps it in a
context variable for the request's duration and echoes it in the response. `RequestContextFilter`
copies it, and the member code of whoever the request authenticated as, onto every log record.
Celery signals (wired in config/celery.py) carry the id into the headers of every task queued
while it is set, and set it again while the worker runs that task, so that a fan-out task and
the tasks it queues in turn log the id of the request that started them.

With `LOG_FORMAT=json` each line is one JSON object with `timestamp`, `level`, `logger`,
`message`, `request_id` and `member` (python-json-logger).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# What is accepted from a client as its request id: short, printable, no spaces (it ends up in logs).
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
# The Celery message header that carries the id from the queuing process to the worker.
TASK_HEADER = "sax_request_id"

access_logger = logging.getLogger("config.requests")
# Set on a request whose view logged the request's one line itself (the access line is then left out).
LOGGED_BY_VIEW = "logged_by_view"

_request_id: ContextVar[str] = ContextVar("sax_request_id", default="")
_request: ContextVar[HttpRequest | None] = ContextVar("sax_request", default=None)
_member: ContextVar[str] = ContextVar("sax_member", default="")


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def request_context(request_id: str, *, member: str = "") -> Iterator[None]:
    """Log (and queue tasks) under `request_id` for the duration of the block."""
    id_token = _request_id.set(request_id)
    member_token = _member.set(member)
    try:
        yield
    finally:
        _request_id.reset(id_token)
        _member.reset(member_token)


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the chain, so that every log line of the request (and its 503s) carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _ACCEPTABLE_ID.match(given) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = _request_id.set(request_id)
        request_token = _request.set(request)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            # One line per request: method, path (never the query string), status and time — unless
            # the view wrote the request's one line itself (the demo receiver's, one per delivery).
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            if not getattr(request, LOGGED_BY_VIEW, False):
                access_logger.info(
                    "%s %s %s %.1fms", request.method, request.path, response.status_code, duration_ms,
                    extra={"method": request.method, "path": request.path, "status_code": response.status_code,
                           "duration_ms": duration_ms},
                )
        finally:
            _request.reset(request_token)
            _request_id.reset(id_token)
        return response


def _member_of_request(request: HttpRequest) -> str:
    """The member code of the authenticated user, only if already loaded: logging never queries."""
    user = request.__dict__.get("user")
    if user is None:
        return ""
    wrapped = getattr(user, "_wrapped", user)  # an evaluated SimpleLazyObject, or DRF's plain user
    state = getattr(wrapped, "_state", None)
    if state is None:
        return ""
    member = state.fields_cache.get("member")
    return str(getattr(member, "code", "") or "")


def current_member() -> str:
    member = _member.get()
    if member:
        return member
    request = _request.get()
    return _member_of_request(request) if request is not None else ""


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `member` to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs after the middleware has returned, with the request attached.
        attached = getattr(record, "request", None)
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id() or str(getattr(attached, "request_id", "") or "")
        if not getattr(record, "member", ""):
            record.member = current_member() or (
                _member_of_request(attached) if isinstance(attached, HttpRequest) else ""
            )
        return True


def _is_deadlock(record: logging.LogRecord) -> bool:
    """A deadlock also answers 503 (the client may retry), but it is a bug: its traceback stays."""
    exc = record.exc_info[1] if record.exc_info else None
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ in {"DeadlockDetected", "SerializationFailure"}:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class OutageFilter(logging.Filter):
    """A 503 while the database or cache is down is one warning line, not an error with a traceback:
    during an outage every request answers so, and /health/ready already says why."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", None) == 503 and not _is_deadlock(record):
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, member (+ extras)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(member)s"
        )
        kwargs.setdefault("rename_fields", {"asctime": "timestamp", "levelname": "level", "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)


# --- Celery: the id travels in a message header -------------------------------------------------------


def task_publish_add_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """before_task_publish: stamp the queuing request's (or task's) id on the message."""
    request_id = current_request_id()
    if headers is not None and request_id and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id
        member = current_member()
        if member:
            headers["sax_member"] = member


_task_tokens: dict[str, tuple[Any, Any]] = {}


def task_prerun_set_request_id(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """task_prerun: the task logs, and queues further tasks, under the id it was queued with."""
    request = getattr(task, "request", None)
    request_id = str(getattr(request, TASK_HEADER, "") or "")
    member = str(getattr(request, "sax_member", "") or "")
    if task_id is not None:
        _task_tokens[task_id] = (_request_id.set(request_id), _member.set(member))


def task_postrun_clear_request_id(task_id: str | None = None, **_: Any) -> None:
    tokens = _task_tokens.pop(task_id or "", None)
    if tokens is None:
        return
    try:
        _request_id.reset(tokens[0])
        _member.reset(tokens[1])
    except ValueError:  # set in another context (thread pools): fall back to clearing
        _request_id.set("")
        _member.set("")


# --- expected answers ----------------------------------------------------------------------------
# A refused page (403) or an unknown one (404) is an answer, not a fault: Django logs it as a
# warning with the exception's traceback attached, which reads like a crash in a newcomer's
# terminal. The line stays; the traceback goes. Kombu's "No hostname was supplied" warning is what
# its filesystem and in-memory transports (the embedded default) always say; it is dropped.
EXPECTED_STATUSES = {401, 403, 404, 405}


class ExpectedAnswers(logging.Filter):
    """Keeps expected answers from looking like failures (see above)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("kombu") and "No hostname was supplied" in record.getMessage():
            return False
        if record.name == "django.request" and getattr(record, "status_code", None) in EXPECTED_STATUSES:
            record.exc_info = None
            record.exc_text = None
        return True


def logging_settings(*, log_format: str, log_level: str) -> dict[str, Any]:
    """Django's LOGGING (settings.LOGGING): one console handler in the chosen format, every record
    carrying the request id and member, and the filters above."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_context": {"()": "config.logs.RequestContextFilter"},
            "outage": {"()": "config.logs.OutageFilter"},
            "expected_answers": {"()": "config.logs.ExpectedAnswers"},
        },
        "formatters": {
            "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(member)s] %(message)s"},
            "json": {"()": "config.logs.JsonLogFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_context", "outage"],
            },
        },
        "root": {"handlers": ["console"], "level": log_level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # One line per webhook request is noise at fan-out rates; failures are in the delivery log.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            # Expected answers (403, 404) without tracebacks; kombu's embedded-transport hostname notice dropped.
            "django.request": {"filters": ["expected_answers"]},
            # runserver's own access line repeats the one config.requests writes for every request.
            "django.server": {"level": "CRITICAL"},
            "kombu.connection": {"filters": ["expected_answers"]},
        },
    }
