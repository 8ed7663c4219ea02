"""Vocabulary of the network: member status, roles and the scopes each role allows."""

from __future__ import annotations

from django.db import models


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    ASSESSOR = "assessor", "Assessor"
    PUBLISHER = "publisher", "Publisher"
    ADMIN = "admin", "Admin"


class Scope(models.TextChoices):
    READ = "read", "Read"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    DRAFT = "draft", "Draft"
    PUBLISH = "publish", "Publish"
    ADMIN = "admin", "Admin"


ROLE_ORDER: tuple[str, ...] = (Role.VIEWER, Role.ASSESSOR, Role.PUBLISHER, Role.ADMIN)

# Roles are cumulative: each allows what the one below allows, and more.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.ASSESSOR: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT}),
    Role.PUBLISHER: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT, Scope.PUBLISH}),
    Role.ADMIN: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT, Scope.PUBLISH, Scope.ADMIN}),
}
SCOPE_ORDER: tuple[str, ...] = tuple(choice.value for choice in Scope)


def scopes_for_role(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())


def sorted_scopes(scopes: frozenset[str] | set[str] | list[str]) -> list[str]:
    return [scope for scope in SCOPE_ORDER if scope in scopes]


class AudienceKind(models.TextChoices):
    """Who an event is for: every active member, everyone (public), or listed members."""

    PUBLIC = "public", "Public"
    NETWORK = "network", "Network"
    MEMBERS = "members", "Listed members"
