"""`GET /api/v1/`: an index of the API's collections; any other unknown path under `/api/` is a 404 problem."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import PROBLEM_CONTENT_TYPE, problem
from exchange.links import absolute_url

API_PREFIX = "api/v1/"
_STATIC_ROUTE = re.compile(r"^[a-z0-9-]+(/[a-z0-9-]+)*/$")


def _routes(patterns: list[Any], prefix: str = "") -> list[str]:
    routes: list[str] = []
    for entry in patterns:
        route = str(entry.pattern).lstrip("^").rstrip("$").replace("\\", "")
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            routes.append(prefix + route)
    return routes


def api_collections() -> list[str]:
    """The API's collections: its routes without parameters, other than actions on a collection."""
    routes = [route.removeprefix(API_PREFIX) for route in _routes(get_resolver().url_patterns)
              if route.startswith(API_PREFIX)]
    static = sorted({route for route in routes if _STATIC_ROUTE.match(route)})
    return [route for route in static if route.split("/")[0] + "/" not in static or route.count("/") == 1]


ApiIndexSerializer = inline_serializer(
    name="ApiIndex",
    fields={
        "title": serializers.CharField(),
        "version": serializers.CharField(),
        "schema": serializers.URLField(help_text="The OpenAPI schema."),
        "docs": serializers.URLField(help_text="Browsable documentation of every operation."),
        "collections": serializers.DictField(child=serializers.URLField(), help_text="Name → URL."),
    },
)


class ApiIndexView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(responses=ApiIndexSerializer, auth=[], operation_id="api_index")
    def get(self, request: Request) -> Response:
        return Response({
            "title": "AI Safety Alert Exchange API",
            "version": "v1",
            "schema": absolute_url(reverse("schema")),
            "docs": absolute_url(reverse("api-docs")),
            "collections": {
                route.rstrip("/"): absolute_url(f"/{API_PREFIX}{route}") for route in api_collections()
            },
        })


@csrf_exempt  # it changes nothing: a 404 must not turn into a CSRF failure for a caller with a cookie
def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """No API resource here. A path that exists with a trailing slash is redirected there (GET, HEAD)."""
    if not request.path.endswith("/"):
        slashed = request.path + "/"
        try:
            match = resolve(slashed)
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            if request.method in ("GET", "HEAD"):
                query = request.META.get("QUERY_STRING", "")
                return HttpResponsePermanentRedirect(slashed + (f"?{query}" if query else ""))
            detail = f"No API resource at {request.path}; paths end with a slash: {slashed}."
            return JsonResponse(problem(404, slug="not-found", detail=detail), status=404,
                                content_type=PROBLEM_CONTENT_TYPE)
    detail = f"No API resource at {request.path}. GET /{API_PREFIX} lists the collections."
    return JsonResponse(problem(404, slug="not-found", detail=detail), status=404, content_type=PROBLEM_CONTENT_TYPE)
