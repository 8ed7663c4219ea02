"""Rendering helpers shared by the portal's views: pages, pagination, form validation by the API's serializers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Count, Model, QuerySet, Window
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework import serializers

from exchange.errors import NotFound
from exchange.portal.access import Portal, form_add_errors
from exchange.selectors import one_or_404

PAGE_SIZE = 25
M = TypeVar("M", bound=Model)


def render_page(
    request: HttpRequest, portal: Portal, template: str, context: dict[str, Any] | None = None, *,
    section: str = "", status: int = 200,
) -> HttpResponse:
    return render(request, template, {"portal": portal, "section": section, **(context or {})}, status=status)


def render_form_page(
    request: HttpRequest, portal: Portal, template: str, context: dict[str, Any], *, section: str = "",
) -> HttpResponse:
    """A page around `context["form"]`: 400 while the form holds errors, so that a refusal is not a 200."""
    status = 400 if context["form"].errors else 200
    return render_page(request, portal, template, context, section=section, status=status)


def page_or_404(queryset: QuerySet[M], *, detail: str, **lookup: Any) -> M:
    """`one_or_404` for pages: what the member may not see, or a malformed id, is the portal's 404 page."""
    try:
        return one_or_404(queryset, detail=detail, **lookup)
    except NotFound as exc:
        raise Http404(detail) from exc


def changed_values(form: Form, initial: dict[str, Any]) -> dict[str, Any]:
    """The cleaned values that differ from what the form was shown with: the body of a partial update."""
    return {key: value for key, value in form.cleaned_data.items() if value != initial[key]}


def paginate(request: HttpRequest, queryset: QuerySet[Any] | list[Any], per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """`page_obj` and the query string that keeps the filters on the page links."""
    page: Page[Any] = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    return {"page_obj": page, "querystring_base": _querystring_base(request)}


def _querystring_base(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    return f"{encoded}&" if encoded else ""


def paginate_counted(request: HttpRequest, queryset: QuerySet[Any], per_page: int = PAGE_SIZE) -> dict[str, Any]:
    """`paginate` in one query for a costly filter: the page's rows carry the total (`COUNT(*) OVER ()`),
    where a paginator runs the filter twice (its count, then the page: 2 × 30 ms for the busiest inbox at
    scale 1.0). A page past the end, or not a number, is served as `paginate` serves it."""
    number = request.GET.get("page") or "1"
    if not number.isdigit() or int(number) < 1:
        return paginate(request, queryset, per_page)
    start = (int(number) - 1) * per_page
    rows = list(queryset.annotate(page_total=Window(Count("pk")))[start:start + per_page])
    if not rows and start:
        return paginate(request, queryset, per_page)
    paginator: Paginator[Any] = Paginator(rows, per_page)
    paginator.count = rows[0].page_total if rows else 0  # a cached_property: known already
    return {"page_obj": Page(rows, int(number), paginator), "querystring_base": _querystring_base(request)}


def api_validate(
    serializer_class: type[serializers.Serializer[Any]], body: dict[str, Any], form: Form, *,
    field_map: dict[str, str] | None = None, **kwargs: Any,
) -> dict[str, Any] | None:
    """Check a body with the REST API's own serializer; its messages go on the form."""
    serializer = serializer_class(data=body, **kwargs)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    field_map = field_map or {}
    # A field the form already refused keeps its one message; the serializer adds only new problems.
    fresh = {key: value for key, value in serializer.errors.items()
             if not (field_map.get(key, key) in form.fields and form.has_error(field_map.get(key, key)))}
    form_add_errors(form, fresh, field_map=field_map)
    return None


def validate_all(
    form: Form, serializer_class: type[serializers.Serializer[Any]], body: Callable[[], dict[str, Any]], *,
    field_map: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """Every problem at once: the form's own checks and the API serializer's, in one round trip.

    The serializer also runs on a form with errors (its body built from what did clean), so that a
    missing title and an unknown jurisdiction are reported together, not one submission apart.
    """
    valid = form.is_valid()
    data = api_validate(serializer_class, body(), form, field_map=field_map)
    return data if valid and not form.errors else None
