"""`Idempotency-Key` on creating POSTs: the same key from the same member replays the first response.

The key's row is inserted in the same transaction as the creation. On PostgreSQL a concurrent
request with the same key blocks on the unique index until the first commits, then replays it;
if the first rolled back, the second simply proceeds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from exchange.errors import ServiceError
from exchange.links import absolute_url
from exchange.models import IdempotencyRecord
from exchange.permissions import request_member
from exchange.services.audit import to_json_value

HEADER = "Idempotency-Key"


class IdempotencyKeyReused(ServiceError):
    status = 422
    slug = "idempotency-key-reused"
    title = _("Idempotency-Key reused")


def _fingerprint(request: Request) -> str:
    try:
        body = json.dumps(to_json_value(request.data), sort_keys=True)
    except (TypeError, ValueError):
        body = repr(request.data)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(request: Request, produce: Callable[[], Response], *, redact: Iterable[str] = ()) -> Response:
    key = request.headers.get(HEADER)
    if key is None:
        return produce()
    key = key.strip()
    if not key or len(key) > 255:
        raise ValidationError({HEADER: ["must be 1 to 255 characters"]})
    member = request_member(request)
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    member=member, key=key, method=str(request.method), path=request.path[:500],
                    fingerprint=fingerprint,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(member=member, key=key)
            if existing.fingerprint != fingerprint or existing.status_code is None:
                raise IdempotencyKeyReused(
                    f"Idempotency-Key {key!r} was already used by your member for a different request "
                    f"({existing.method} {existing.path}); use a new key for a new request.",
                    errors={HEADER: ["already used for a different request"]},
                ) from None
            return Response(existing.body, status=existing.status_code, headers={"Idempotent-Replayed": "true"})
        response = produce()
        body = to_json_value(response.data)
        if isinstance(body, dict):
            for field in redact:
                if field in body:
                    body[field] = None
        record.status_code = response.status_code
        record.body = body
        record.save(update_fields=["status_code", "body"])
        return response


def created_location(request: Request, item_id: Any) -> str:
    """Where an object created by POST to a collection lives: the collection's URL and its id."""
    return absolute_url(f"{request.path.rstrip('/')}/{item_id}/")


class IdempotentCreateMixin:
    """For viewsets: `create` runs `create_object` under `Idempotency-Key` replay.

    Every `201` (a replay too) carries `Location`: the collection's URL and the created object's id.
    """

    idempotency_redact: tuple[str, ...] = ()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = idempotent(request, lambda: self.create_object(request), redact=self.idempotency_redact)
        item_id = response.data.get("id") if isinstance(response.data, dict) else None
        if response.status_code == 201 and item_id is not None and not response.has_header("Location"):
            response["Location"] = created_location(request, item_id)
        return response

    def create_object(self, request: Request) -> Response:
        raise NotImplementedError
