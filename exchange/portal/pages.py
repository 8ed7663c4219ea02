"""Rendering helpers shared by the portal's views: pages, pagination, form validation by the API's serializers."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import serializers

from exchange.portal.access import Portal, form_add_errors

PAGE_SIZE = 25


def render_page(
    request: HttpRequest, portal: Portal, template: str, context: dict[str, Any] | None = None, *,
    section: str = "", status: int = 200,
) -> HttpResponse:
    return render(request, template, {"portal": portal, "section": section, **(context or {})}, status=status)


def paginate(request: HttpRequest, queryset: QuerySet[Any] | list[Any], per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """`page_obj` and the query string that keeps the filters on the page links."""
    page: Page[Any] = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return {"page_obj": page, "querystring_base": f"{encoded}&" if encoded else ""}


def api_validate(
    serializer_class: type[serializers.Serializer[Any]], body: dict[str, Any], form: Form, *,
    field_map: dict[str, str] | None = None, **kwargs: Any,
) -> dict[str, Any] | None:
    """Check a body with the REST API's own serializer; its messages go on the form."""
    serializer = serializer_class(data=body, **kwargs)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    form_add_errors(form, serializer.errors, field_map=field_map)
    return None
