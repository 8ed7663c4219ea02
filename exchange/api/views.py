"""Network resources: me, members, users and tokens. Views parse, call a service, serialise."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.limits import no_store
from exchange.api.serializers import (
    MemberSerializer,
    MeSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenSerializer,
    UserCreateSerializer,
    UserSerializer,
    UserUpdateSerializer,
)
from exchange.api.viewsets import CreateListRetrieveViewSet, MemberScopedMixin
from exchange.choices import MemberStatus, Role, Scope, sorted_scopes
from exchange.errors import NotFound, ValidationFailed
from exchange.models import ApiToken, Member, User
from exchange.permissions import effective_scopes, request_member, request_user
from exchange.selectors import tokens_of, users_of
from exchange.services.members import user_create, user_update
from exchange.services.tokens import token_issue, token_revoke


class MeView(APIView):
    required_scopes = {"GET": ""}  # any authenticated caller may ask who it is

    @extend_schema(responses=MeSerializer, operation_id="me_retrieve")
    def get(self, request: Request) -> Response:
        user: Any = request.user
        data = {
            "email": user.email,
            "full_name": user.full_name,
            "role": user.role if user.member_id else None,
            "scopes": sorted_scopes(effective_scopes(request)),
            "member": user.member,
            "is_staff": user.is_staff,
        }
        return Response(MeSerializer(data).data)


class MemberFilter(django_filters.FilterSet):
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices)

    class Meta:
        model = Member
        fields = ("country", "status")


class MemberViewSet(viewsets.ReadOnlyModelViewSet[Member]):
    """The regulators of the network. Network staff admit and suspend members in the Django admin."""

    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9_-]{1,16}"
    filterset_class = MemberFilter
    search_fields = ("code", "name")
    cursor_ordering = ("code",)

    def get_object(self) -> Member:
        try:
            return Member.objects.get(code=str(self.kwargs["code"]).upper())
        except Member.DoesNotExist as exc:
            raise NotFound(f"No member with code {self.kwargs['code']!r}.") from exc


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = User
        fields = ("role", "is_active")


@extend_schema_view(create=extend_schema(request=UserCreateSerializer, responses={201: UserSerializer}))
class UserViewSet(MemberScopedMixin[User], CreateListRetrieveViewSet[User]):
    """The users of the caller's member (admins only)."""

    model = User
    serializer_class = UserSerializer
    required_scopes = {action: Scope.ADMIN for action in ("list", "retrieve", "create", "partial_update")}
    filterset_class = UserFilter
    search_fields = ("email", "full_name")
    cursor_ordering = ("email",)
    http_method_names = ["get", "post", "patch", "head", "options"]

    def member_queryset(self, member: Member) -> QuerySet[User]:
        return users_of(member=member)

    def create_object(self, request: Request) -> Response:
        form = UserCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = user_create(actor=request_user(request), member=request_member(request), **form.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        form = UserUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        user = user_update(actor=request_user(request), user=target, **form.validated_data)
        return Response(UserSerializer(user).data)


class TokenFilter(django_filters.FilterSet):
    user = django_filters.CharFilter(field_name="user__email", lookup_expr="iexact")

    class Meta:
        model = ApiToken
        fields = ("user",)


@extend_schema_view(create=extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer}))
class TokenViewSet(MemberScopedMixin[ApiToken], CreateListRetrieveViewSet[ApiToken]):
    """API tokens of the caller's member (admins only). DELETE revokes; the row is kept."""

    model = ApiToken
    serializer_class = TokenSerializer
    required_scopes = {action: Scope.ADMIN for action in ("list", "retrieve", "create", "destroy")}
    filterset_class = TokenFilter
    search_fields = ("name", "key_prefix", "user__email")
    idempotency_redact = ("token",)

    def member_queryset(self, member: Member) -> QuerySet[ApiToken]:
        return tokens_of(member=member)

    def create_object(self, request: Request) -> Response:
        form = TokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        member = request_member(request)
        owner: Any = request.user
        if data.get("user"):
            owner = users_of(member=member).filter(email=data["user"].lower()).first()
            if owner is None:
                raise ValidationFailed(f"No user {data['user']!r} in {member.code}.", errors={"user": ["unknown user"]})
        issued = token_issue(
            actor=request_user(request),
            user=owner,
            name=data.get("name", ""),
            scopes=data.get("scopes"),
            expires_days=data.get("expires_days"),
        )
        body = {**TokenSerializer(issued.token).data, "token": issued.value}
        return no_store(Response(body, status=status.HTTP_201_CREATED))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token_revoke(actor=request_user(request), token=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
