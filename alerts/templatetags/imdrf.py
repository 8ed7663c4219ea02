"""`{% load imdrf %}`: IMDRF codes shown with their terms (the newest loaded release)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from alerts.services.terminology import imdrf_codes_with_terms

register = template.Library()


@register.filter
def with_terms(codes: Iterable[str] | None) -> list[tuple[str, str]]:
    """`alert.imdrf_codes|with_terms` → [(code, term)], one query per list."""
    return imdrf_codes_with_terms(list(codes or []))
