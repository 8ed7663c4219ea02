"""One error envelope: RFC 9457 problem+json, for DRF views, services and Django's own 404/500."""

from __future__ import annotations

import sys
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from exchange.errors import ServiceError, error_paths
from exchange.text import printable_tree

PROBLEM_CONTENT_TYPE = "application/problem+json"
# A problem's `title` when its error names none: the status, in the request's language (SPEC §10.5).
STATUS_TITLES = {
    400: gettext_lazy("Bad Request"), 401: gettext_lazy("Unauthorized"), 403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not Found"), 405: gettext_lazy("Method Not Allowed"), 406: gettext_lazy("Not Acceptable"),
    409: gettext_lazy("Conflict"), 412: gettext_lazy("Precondition Failed"), 413: gettext_lazy("Request Entity Too Large"),
    415: gettext_lazy("Unsupported Media Type"), 428: gettext_lazy("Precondition Required"),
    429: gettext_lazy("Too Many Requests"), 500: gettext_lazy("Internal Server Error"),
    503: gettext_lazy("Service Unavailable"),
}
PROBLEM_BASE = "/problems/"

_SLUGS: dict[type[Exception], str] = {
    exceptions.ParseError: "malformed-request",
    exceptions.ValidationError: "validation-error",
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.AuthenticationFailed: "authentication-failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "rate-limited",
}


def _first_message(errors: Any) -> str:
    """The first field error as 'field: message', to make `detail` useful on its own."""
    pairs = error_paths(errors)
    if not pairs:
        return ""
    path, message = pairs[0]
    return f"{path}: {message}" if path else message


def problem(
    status: int, *, slug: str, detail: str, title: str | Promise | None = None, errors: Any = None, **extra: Any
) -> dict[str, Any]:
    """The problem+json body. Every string in it is made printable: messages quote what the client
    sent (`"\ud800" is not a valid choice.`), and a value that cannot be encoded must not turn a
    400 into a 500."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": str(title or STATUS_TITLES.get(status) or HTTPStatus(status).phrase),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return dict(printable_tree(body))


def _unsupported_media_type(exc: exceptions.UnsupportedMediaType, context: dict[str, Any]) -> Exception:
    """A 415 that says what to send instead: the media types the operation parses."""
    view = context.get("view")
    accepted = [parser.media_type for parser in getattr(view, "parser_classes", ())] or ["application/json"]
    request = context.get("request")
    sent = getattr(request, "content_type", "") or "none"
    return exceptions.UnsupportedMediaType(
        sent, detail=f"Content-Type {sent!r} is not accepted here: send the body as {' or '.join(accepted)} "
        f"(with the header Content-Type: {accepted[0]}).",
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        response = Response(
            problem(exc.status, slug=exc.slug, title=exc.title, detail=exc.detail, errors=exc.errors, **exc.extra),
            status=exc.status,
        )
        response.content_type = PROBLEM_CONTENT_TYPE
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        exc = _unsupported_media_type(exc, context)
    handled = exception_handler(exc, context)
    if handled is None:
        return None
    response = handled
    slug = next((s for cls, s in _SLUGS.items() if isinstance(exc, cls)), "error")
    data = response.data
    errors = None
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        detail = _first_message(errors) or "The request is not valid."
        title = _("The request is not valid")
    else:
        detail = str(data.get("detail", "")) if isinstance(data, dict) else str(data)
        title = None
    extra: dict[str, Any] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        extra["retry_after"] = int(wait) + 1
    response.data = problem(response.status_code, slug=slug, title=title, detail=detail, errors=errors, **extra)
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        body = problem(404, slug="not-found", detail=f"No API resource at {request.path}.")
        return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
    return defaults.page_not_found(request, exception)


class OwnNotFoundPageMiddleware:
    """The service's own 404 page, in DEBUG too: Django's debug 404 lists every URL pattern, which a
    demo shown to newcomers (or a public reference that does not exist) should not.

    A view's `Http404` becomes the page at once; a path no pattern matches (no `resolver_match`)
    had Django's debug page made already and gets ours instead."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return page_not_found(request, Http404())
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


# How long a client is asked to wait while a dependency is down (database restarts take seconds).
OUTAGE_RETRY_AFTER_SECONDS = 5


def _dependency_outage(exc: BaseException | None) -> str | None:
    """Which dependency an uncaught exception says is unreachable ("database", "cache"), "conflict"
    for a deadlock, or None."""
    from django.db import InterfaceError, OperationalError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc.__cause__).__name__ in {"DeadlockDetected", "SerializationFailure"}:
            return "conflict"  # a bug when it happens (logged with its traceback), but retrying is safe
        if isinstance(exc, OperationalError | InterfaceError):
            return "database"
        module = type(exc).__module__
        if module.startswith("redis") and type(exc).__name__ in {"ConnectionError", "TimeoutError", "BusyLoadingError"}:
            return "cache"
        exc = exc.__cause__ or exc.__context__
    return None


def service_unavailable(request: HttpRequest, dependency: str) -> HttpResponse:
    """503 with Retry-After while the database or cache is down: the client retries, nothing is lost."""
    detail = (
        f"The request collided with a concurrent one; retry after {OUTAGE_RETRY_AFTER_SECONDS} s."
        if dependency == "conflict"
        else f"The service's {dependency} is unavailable for a moment; retry after {OUTAGE_RETRY_AFTER_SECONDS} s."
    )
    response: HttpResponse
    if _is_api(request):
        body = problem(503, slug="service-unavailable", detail=detail)
        response = JsonResponse(body, status=503, content_type=PROBLEM_CONTENT_TYPE)
    else:
        response = HttpResponse(
            f"<!doctype html><title>{_('Service unavailable')}</title><h1>{_('Service unavailable')}</h1><p>{detail}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    dependency = _dependency_outage(sys.exc_info()[1])
    if dependency is not None:
        return service_unavailable(request, dependency)
    if _is_api(request):
        body = problem(500, slug="server-error", detail="The server failed; the error has been logged.")
        return JsonResponse(body, status=500, content_type=PROBLEM_CONTENT_TYPE)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        body = problem(400, slug="bad-request", detail="The request could not be understood.")
        return JsonResponse(body, status=400, content_type=PROBLEM_CONTENT_TYPE)
    return defaults.bad_request(request, exception)


PROBLEM_TYPES: dict[str, str] = {
    "malformed-request": "The body is not valid JSON (or not the declared content type).",
    "validation-error": "A field is missing, of the wrong type, too long or not an allowed value; see `errors`.",
    "not-authenticated": "No credentials: send `Authorization: Bearer <token>`.",
    "authentication-failed": "The token is unknown, revoked or expired, or its user is deactivated.",
    "forbidden": "The caller's role or token scopes do not allow this operation, or its member is suspended.",
    "not-found": "The object does not exist or the caller may not see it.",
    "conflict": "The request conflicts with the current state (a duplicate, a forbidden transition).",
    "idempotency-key-reused": "The Idempotency-Key was already used with a different request.",
    "precondition-failed": "If-Match does not match the current ETag: re-read the object.",
    "precondition-required": "This operation needs an If-Match header carrying the object's ETag.",
    "rate-limited": "Too many requests for this token: wait `Retry-After` seconds.",
    "method-not-allowed": "The HTTP method is not supported on this path.",
    "service-unavailable": "The database or cache is down for a moment: retry after `Retry-After` seconds.",
    "not-acceptable": "The Accept header asks for a format the API does not serve.",
    "unsupported-media-type": "Send JSON with `Content-Type: application/json` (CSV imports: `text/csv`).",
    "payload-too-large": "The body is larger than API_MAX_BODY_BYTES (JSON, CSV and multipart alike).",
    "unknown-query-parameter": "A list was asked with a query parameter it does not know; see `errors`.",
}


def problem_types(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """A readable index of the problem `type` URIs the API answers with."""
    if slug is not None and slug not in PROBLEM_TYPES:
        return page_not_found(request, Http404())
    items = {slug: PROBLEM_TYPES[slug]} if slug else PROBLEM_TYPES
    return JsonResponse({"problem_types": [{"type": PROBLEM_BASE + k, "description": v} for k, v in items.items()]})
