"""Reads of the content. Every read path starts here."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from alerts.models import Authorization, Tool


def tools_list() -> QuerySet[Tool]:
    """The shared registry: every active member sees every tool."""
    return Tool.objects.select_related("registered_by").prefetch_related(
        "identifiers",
        Prefetch("authorizations", queryset=Authorization.objects.prefetch_related("baseline")),
    )


def authorizations_list(*, tool: Tool) -> QuerySet[Authorization]:
    return Authorization.objects.filter(tool=tool).prefetch_related("baseline")
