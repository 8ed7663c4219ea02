"""Filter sets, one per collection, shared by the API and the portal."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from alerts.choices import AuthorizationStatus, ClinicalArea
from alerts.models import Authorization, Tool


class ToolFilter(django_filters.FilterSet):
    clinical_area = django_filters.ChoiceFilter(choices=ClinicalArea.choices)
    manufacturer = django_filters.CharFilter(field_name="manufacturer", lookup_expr="iexact")
    authorised_in = django_filters.CharFilter(
        method="filter_authorised_in", label="Jurisdiction (ISO code) where the tool is currently authorised"
    )
    identifier = django_filters.CharFilter(field_name="identifiers__value", lookup_expr="iexact", distinct=True)

    class Meta:
        model = Tool
        fields = ("clinical_area", "manufacturer", "authorised_in", "identifier")

    def filter_authorised_in(self, queryset: QuerySet[Tool], name: str, value: str) -> QuerySet[Tool]:
        return queryset.filter(
            authorizations__jurisdiction=value.strip().upper(),
            authorizations__status=AuthorizationStatus.AUTHORISED,
        ).distinct()


class AuthorizationFilter(django_filters.FilterSet):
    jurisdiction = django_filters.CharFilter(field_name="jurisdiction", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=AuthorizationStatus.choices)

    class Meta:
        model = Authorization
        fields = ("jurisdiction", "status")
