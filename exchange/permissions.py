"""Role and scope checks, in one place for every API view (SPEC §2 roles, §6 403 semantics)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from exchange.authentication import request_token
from exchange.choices import Scope
from exchange.models import Member, User
from exchange.services.tokens import token_effective_scopes

ALL_SCOPES = frozenset(Scope.values)


def effective_scopes(request: Request) -> frozenset[str]:
    """What this request may do: the token's scopes within the user's role, or the role for a session."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return frozenset()
    token = request_token(request)
    if token is not None:
        return token_effective_scopes(token)
    if user.member_id is None:
        return ALL_SCOPES if user.is_staff else frozenset()
    return user.role_scopes


def request_user(request: Request) -> User:
    """The authenticated user of the request (HasScope has let only authenticated users through)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise NotAuthenticated("Authentication required: send 'Authorization: Bearer <token>'.")
    return user


def request_member(request: Request) -> Member:
    """The member the caller acts for; network staff without a member act in the Django admin."""
    user = request.user
    member = getattr(user, "member", None)
    if member is None:
        raise PermissionDenied(
            "This account belongs to no member; member actions are taken by member users "
            "(network staff manage members in the Django admin)."
        )
    return member


def required_scope(view: Any, request: Request) -> str:
    method = str(request.method).lower()
    if method not in getattr(view, "http_method_names", ()) or getattr(view, method, None) is None:
        return ""  # no handler: the view itself answers 405 Method Not Allowed
    mapping: dict[str, str] = getattr(view, "required_scopes", {})
    action = getattr(view, "action", None)
    if action == "metadata":  # OPTIONS asks what each method would allow: judge that method's own action
        action = getattr(view, "action_map", {}).get(method, action)
    if action and action in mapping:
        return mapping[action]
    if request.method in mapping:
        return mapping[str(request.method)]
    if request.method in SAFE_METHODS:
        return Scope.READ
    raise ImproperlyConfigured(f"{type(view).__name__} declares no scope for {request.method} {action or ''}")


class HasScope(BasePermission):
    """Authenticated, of an active member, with the scope the operation needs."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise NotAuthenticated("Authentication required: send 'Authorization: Bearer <token>'.")
        member = getattr(user, "member", None)
        if member is not None and not member.is_active:
            raise PermissionDenied(f"Member {member.code} is suspended: it can read and receive nothing.")
        scope = required_scope(view, request)
        if scope and scope not in effective_scopes(request):
            role = getattr(user, "role", "")
            raise PermissionDenied(
                f"This operation needs the '{scope}' scope, which this "
                f"{'token' if request_token(request) else 'session'} (role {role!r}) does not have."
            )
        return True
