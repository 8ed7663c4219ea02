"""Errors raised by services. The API turns them into RFC 9457 problems; commands print them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    slug = "invalid-request"
    title = _("Invalid request")

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class ValidationFailed(ServiceError):
    status = 400
    slug = "validation-error"
    title = _("The request is not valid")


class PermissionRefused(ServiceError):
    status = 403
    slug = "forbidden"
    title = _("Not allowed")


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = _("Not found")


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = _("Conflict with the current state")


class PreconditionFailed(ServiceError):
    status = 412
    slug = "precondition-failed"
    title = _("Precondition failed")


class PreconditionRequired(ServiceError):
    status = 428
    slug = "precondition-required"
    title = _("Precondition required")


def error_paths(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(field path, message) pairs from nested field errors, in order: the one flattener.

    Paths read like the request body: `metrics[1].value`, `subgroups[0].metrics[2].metric`. DRF keys a
    list field's item errors by index (`{"metrics": {1: {...}}}`) or lists them (`[{}, {...}]`); both
    become `[i]`. `non_field_errors` names no field: its messages carry the enclosing path.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == "non_field_errors":
                path = prefix
            elif isinstance(key, int) or str(key).isdigit():
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            pairs.extend(error_paths(value, path))
    elif isinstance(errors, list | tuple):
        for index, value in enumerate(errors):
            if isinstance(value, dict | list | tuple):
                pairs.extend(error_paths(value, f"{prefix}[{index}]"))
            else:
                pairs.append((prefix, str(value)))
    elif errors is not None:
        pairs.append((prefix, str(errors)))
    return pairs
