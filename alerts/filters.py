"""Filter sets, one per collection, shared by the API and the portal."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms as django_forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework.exceptions import ValidationError

from alerts.choices import (
    AlertStatus,
    AlertType,
    AuthorizationStatus,
    ClinicalArea,
    Distribution,
    Metric,
    ReportStatus,
    Severity,
    SignalKind,
    SignalStatus,
)
from alerts.jurisdictions import jurisdiction_problem
from alerts.models import (
    Alert,
    AlertJurisdiction,
    AlertTool,
    Authorization,
    ImdrfTerm,
    Report,
    Signal,
    TermStatus,
    Tool,
)
from alerts.selectors import authorizations_current
from config.limits import UtcIsoDateTimeFilter

# The text `?search=` looks in, per collection: one list for the API's SearchFilter and the portal.
ALERT_SEARCH_FIELDS = ("title", "summary", "description", "reference", "publisher_reference")
REPORT_SEARCH_FIELDS = ("setting", "population", "method", "data_source", "tool__name", "tool__manufacturer")
TOOL_SEARCH_FIELDS = ("name", "manufacturer", "intended_purpose", "identifiers__value")


class JurisdictionField(django_forms.CharField):
    """A jurisdiction code under the network's one rule (`UK` is refused, suggesting `GB`)."""

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if value in (None, ""):
            return ""
        problem = jurisdiction_problem(value)
        if problem is not None:
            raise django_forms.ValidationError(problem[0].upper() + problem[1:] + ".", code="invalid")
        return str(value).strip().upper()


class JurisdictionFilter(django_filters.CharFilter):
    field_class = JurisdictionField


def search_q(fields: tuple[str, ...], text: str) -> Q:
    """The API's `?search=` as a query: every word must occur in one of the fields."""
    query = Q()
    for word in text.replace("\x00", "").split():
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": word})
        query &= any_field
    return query


class ToolFilter(django_filters.FilterSet):
    clinical_area = django_filters.ChoiceFilter(choices=ClinicalArea.choices)
    manufacturer = django_filters.CharFilter(field_name="manufacturer", lookup_expr="iexact")
    authorised_in = JurisdictionFilter(
        method="filter_authorised_in", label="Jurisdiction (ISO code) where the tool is currently authorised"
    )
    identifier = django_filters.CharFilter(field_name="identifiers__value", lookup_expr="iexact", distinct=True)

    class Meta:
        model = Tool
        fields = ("clinical_area", "manufacturer", "authorised_in", "identifier")

    def filter_authorised_in(self, queryset: QuerySet[Tool], name: str, value: str) -> QuerySet[Tool]:
        current = authorizations_current().filter(jurisdiction=value.strip().upper())
        return queryset.filter(pk__in=current.values("tool_id"))


class AuthorizationFilter(django_filters.FilterSet):
    jurisdiction = JurisdictionFilter(field_name="jurisdiction", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=AuthorizationStatus.choices)

    class Meta:
        model = Authorization
        fields = ("jurisdiction", "status")


class ReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices)
    tool = django_filters.UUIDFilter(field_name="tool_id")
    publisher = django_filters.CharFilter(field_name="publisher__code", lookup_expr="iexact")
    country = JurisdictionFilter(field_name="country", lookup_expr="iexact")
    distribution = django_filters.ChoiceFilter(choices=Distribution.choices)
    published_after = UtcIsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UtcIsoDateTimeFilter(field_name="published_at", lookup_expr="lt")

    class Meta:
        model = Report
        fields = ("status", "tool", "publisher", "country", "distribution", "published_after", "published_before")


class SignalFilter(django_filters.FilterSet):
    tool = django_filters.UUIDFilter(field_name="tool_id")
    # The caller's own view of the signal (see selectors.signals_visible_to).
    status = django_filters.ChoiceFilter(choices=SignalStatus.choices, field_name="viewer_status")
    kind = django_filters.ChoiceFilter(choices=SignalKind.choices)
    metric = django_filters.ChoiceFilter(choices=Metric.choices)

    class Meta:
        model = Signal
        fields = ("tool", "status", "kind", "metric")


class AlertFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    alert_type = django_filters.MultipleChoiceFilter(choices=AlertType.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    distribution = django_filters.ChoiceFilter(choices=Distribution.choices)
    publisher = django_filters.CharFilter(field_name="publisher__code", lookup_expr="iexact")
    tool = django_filters.UUIDFilter(method="filter_tool", label="Affected tool id")
    jurisdiction = JurisdictionFilter(method="filter_jurisdiction", label="Affected jurisdiction (ISO code)")
    published_after = UtcIsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UtcIsoDateTimeFilter(field_name="published_at", lookup_expr="lt")
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="iexact")

    class Meta:
        model = Alert
        fields = (
            "status", "alert_type", "severity", "distribution", "publisher", "tool", "jurisdiction",
            "published_after", "published_before", "reference",
        )

    def filter_tool(self, queryset: QuerySet[Alert], name: str, value: Any) -> QuerySet[Alert]:
        return queryset.filter(Exists(AlertTool.objects.filter(alert=OuterRef("pk"), tool_id=value)))

    def filter_jurisdiction(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        code = value.strip().upper()
        return queryset.filter(Exists(AlertJurisdiction.objects.filter(alert=OuterRef("pk"), jurisdiction=code)))


class ImdrfTermFilter(django_filters.FilterSet):
    """IMDRF terms of one release (the newest unless `release` names a year); `search` matches code or term."""

    annex = django_filters.CharFilter(method="filter_annex", label="Annex letter A–G")
    status = django_filters.ChoiceFilter(choices=TermStatus.choices)
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact")
    parent = django_filters.CharFilter(field_name="parent_code", lookup_expr="iexact")

    class Meta:
        model = ImdrfTerm
        fields = ("annex", "status", "code", "parent")

    def filter_annex(self, queryset: QuerySet[ImdrfTerm], name: str, value: str) -> QuerySet[ImdrfTerm]:
        letter = value.strip().upper().removeprefix("ANNEX").strip()
        if len(letter) != 1 or letter not in "ABCDEFG":
            raise ValidationError({"annex": [f"{value!r} is not an IMDRF annex (A–G)."]})
        return queryset.filter(annex=letter)
