"""Errors raised by services. The API turns them into RFC 9457 problems; commands print them."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    slug = "invalid-request"
    title = "Invalid request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class ValidationFailed(ServiceError):
    status = 400
    slug = "validation-error"
    title = "The request is not valid"


class PermissionRefused(ServiceError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflict with the current state"


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(ServiceError):
    status = 428
    slug = "precondition-required"
    title = "Precondition required"
