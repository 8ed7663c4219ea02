"""The shapes the API's resources share: what a collection offers, and whose rows it reads.

Each resource still declares its own scopes, filters and writes; only the wiring that was written
out identically in every viewset lives here.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework import generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from exchange.api.idempotency import IdempotentCreateMixin
from exchange.models import Member
from exchange.permissions import request_member

M = TypeVar("M", bound=Model)


class CreateListRetrieveViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[M],
):
    """List, retrieve, and create through `create_object` under `Idempotency-Key` replay.

    Updates, deletions and actions are written by each resource: they call different services.
    """


class MemberScopedMixin(generics.GenericAPIView[M]):
    """Reads start from the caller's member: `member_queryset(member)` names the selector.

    drf-spectacular builds the schema without a caller; it then gets an empty queryset of `model`.
    Put the mixin before the DRF view class, so that its `get_queryset` is the one used.
    """

    model: type[M]

    def get_queryset(self) -> QuerySet[M]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, only the model
            return self.model._default_manager.none()
        return self.member_queryset(request_member(self.request))

    def member_queryset(self, member: Member) -> QuerySet[M]:
        raise NotImplementedError


class RenderedListMixin(mixins.ListModelMixin, generics.GenericAPIView[M]):
    """`list` answers a page rendered by `render_page` (the domain's payload functions), not by a serializer.

    The filters and the cursor pagination are the collection's own; `serializer_class` stays, to
    describe the items in the schema.
    """

    def render_page(self, rows: list[M]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.render_page(list(page or [])))
