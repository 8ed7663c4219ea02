"""IMDRF adverse-event terminology (SPEC §2, §6): the newest loaded release, searchable."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.request import Request

from alerts.filters import ImdrfTermFilter
from alerts.models import ImdrfRelease, ImdrfTerm


class ImdrfTermSerializer(serializers.ModelSerializer[ImdrfTerm]):
    release = serializers.IntegerField(source="release.year", read_only=True)
    hierarchy = serializers.SerializerMethodField()
    parent = serializers.CharField(source="parent_code", read_only=True)  # type: ignore[assignment]  # DRF pops declared fields

    class Meta:
        model = ImdrfTerm
        fields = ("code", "term", "definition", "annex", "hierarchy", "parent", "level", "status", "release")
        read_only_fields = fields

    def get_hierarchy(self, term: ImdrfTerm) -> list[str]:
        return term.hierarchy.split(">")


class TermSearch(SearchFilter):
    """`?search=` matches the code's start or any word of the term or its definition."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        text = request.query_params.get(self.search_param, "").strip()
        if not text:
            return queryset
        if "\x00" in text:
            raise ValidationError({"search": ["must not contain NUL characters"]})
        words = Q()
        for word in text.split():
            words &= Q(term__icontains=word) | Q(definition__icontains=word)
        match = Q(code__istartswith=text) | words
        return queryset.filter(match)


@extend_schema(parameters=[
    OpenApiParameter("release", OpenApiTypes.INT, description="A loaded release's year (default: the newest)."),
    OpenApiParameter("search", OpenApiTypes.STR, description="Code prefix, or words of the term or definition."),
])
class ImdrfTermListView(generics.ListAPIView[ImdrfTerm]):
    """IMDRF adverse-event terms of the newest loaded release (or `?release=YEAR`), in hierarchy order.

    A code may appear under more than one parent: each place is one entry. Retired terms are listed
    with `status` `retired`; alerts may not use them."""

    serializer_class = ImdrfTermSerializer
    filterset_class = ImdrfTermFilter
    filter_backends = [DjangoFilterBackend, TermSearch]
    query_parameters = ("release", "search")  # read by _release and TermSearch; any other is refused (400)
    cursor_ordering = ("hierarchy",)

    def _release(self) -> ImdrfRelease | None:
        raw = self.request.query_params.get("release")
        if raw is None or raw == "":
            return ImdrfRelease.objects.order_by("-year").first()
        if not raw.isdigit() or len(raw) > 4:
            raise ValidationError({"release": [f"{raw!r} is not a release year."]})
        release = ImdrfRelease.objects.filter(year=int(raw)).first()
        if release is None:
            loaded = ", ".join(str(y) for y in ImdrfRelease.objects.values_list("year", flat=True)) or "none"
            raise ValidationError({"release": [f"Release {raw} is not loaded (loaded: {loaded})."]})
        return release

    def get_queryset(self) -> QuerySet[ImdrfTerm]:
        if getattr(self, "swagger_fake_view", False):
            return ImdrfTerm.objects.none()
        release = self._release()
        if release is None:
            return ImdrfTerm.objects.none()
        return ImdrfTerm.objects.filter(release=release).select_related("release")
