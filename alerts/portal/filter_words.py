"""Filters in words: the API's own filtersets shown with human labels, pickers and a folded panel.

One place for how a list page shows its filters (alerts, reports, signals): each field gets its
label and help in words, choice fields start with "Any …" instead of a row of dashes, dates get a
date-time box, a tool is picked by name; the active filters are returned as (label, value in words)
for the chips shown while the panel is closed.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.forms.utils import flatatt
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from alerts.selectors import tools_list

# Each filter's label and help, in words (lazy translations at module level).
FilterLabels = dict[str, tuple[str | Promise, str | Promise]]


class LongSelect(forms.Select):
    """A <select> of many plain options (every registered tool) rendered by one join rather than a
    template per option: the same HTML as forms.Select, in a few milliseconds for thousands of tools."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in chosen else ""}>{escape(text)}</option>'
            for key, text in self.choices
        )
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # noqa: S308 — every part escaped above


def tool_choices() -> list[tuple[str, str]]:
    rows = tools_list().prefetch_related(None).values_list("id", "name", "manufacturer")
    return [(str(pk), f"{name} — {manufacturer}") for pk, name, manufacturer in rows]


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
            field.widget = LongSelect(choices=[("", gettext("Any tool")), *tool_choices()])
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
            choices = dict(getattr(field, "choices", []) or getattr(field.widget, "choices", []) or [])
            active.append((str(text), ", ".join(str(choices.get(v, v)) for v in values)))
    return active
