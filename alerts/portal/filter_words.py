"""Filters in words: the API's own filtersets shown with human labels, pickers and a folded panel.

One place for how a list page shows its filters (alerts, reports, signals): each field gets its
label and help in words, choice fields start with "Any …" instead of a row of dashes, dates get a
date-time box, a tool is picked by name; the active filters are returned as (label, value in words)
for the chips shown while the panel is closed.
"""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext

from alerts.selectors import tools_list

# Each filter's label and help, in words (lazy translations at module level).
FilterLabels = dict[str, tuple[str | Promise, str | Promise]]


def tool_label(value: str) -> str:
    """The chosen tool in words (its name and manufacturer), or the value as typed if it names none."""
    try:
        rows = tools_list().prefetch_related(None).filter(pk=uuid.UUID(value))
        row = rows.values_list("name", "manufacturer").first()
    except ValueError:
        row = None
    return f"{row[0]} — {row[1]}" if row else value


def filters_in_words(
    filterset: django_filters.FilterSet, labels: FilterLabels, *, multiple: tuple[str, ...] = (),
) -> list[tuple[str, str]]:
    form = filterset.form
    for name in multiple:
        form.fields[name].widget = forms.CheckboxSelectMultiple(choices=form.fields[name].choices)
    active: list[tuple[str, str]] = []
    data = filterset.data or {}
    for name, (text, help_text) in labels.items():
        field = form.fields[name]
        field.label, field.help_text = text, help_text
        field.conditional = True  # a filter is never "(optional)" (read by includes/field.html)
        if name == "tool":
            # Picked by name through the portal's server-side search (/pick/tools/), never a <select> of
            # every registered tool: 20,000 options were most of a 5.7 s search page at scale 1.0.
            field.widget = forms.TextInput(attrs={"data-picker": "tools", "autocomplete": "off"})
        elif isinstance(field, forms.DateTimeField):
            field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
        elif isinstance(field, forms.ChoiceField) and name not in multiple:
            current: Any = field.choices
            options: list[tuple[Any, Any]] = [(value, text) for value, text in current if value != ""]
            if hasattr(field, "empty_label"):  # django-filter's choice fields add the blank row themselves
                field.empty_label = gettext("Any")
                field.choices = options
            else:
                field.choices = [("", gettext("Any")), *options]
        values = [v for v in (data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]) if v]
        if values:
            active.append((str(text), _in_words(name, field, values)))
    return active


def _in_words(name: str, field: forms.Field, values: list[str]) -> str:
    """The chosen values of one filter in words: a tool by its name, a choice by its label."""
    if name == "tool":
        return ", ".join(tool_label(v) for v in values)
    choices = dict(getattr(field, "choices", []) or getattr(field.widget, "choices", []) or [])
    return ", ".join(str(choices.get(v, v)) for v in values)
