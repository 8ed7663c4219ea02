"""The translation of an alert that the page's reader is shown (SPEC §10.5)."""

from __future__ import annotations

from django import template
from django.utils import translation

from alerts.languages import primary_subtag, translation_for
from alerts.models import Alert, AlertTranslation

register = template.Library()


@register.simple_tag
def alert_translation(alert: Alert) -> AlertTranslation | None:
    """The translation into the page's language (the reader's), or None: none exists, or the alert is
    written in that language."""
    return translation_for(
        alert.translations.select_related("member").all() if not _prefetched(alert) else alert.translations.all(),
        language=translation.get_language(), original=alert.language,
    )


def _prefetched(alert: Alert) -> bool:
    return "translations" in getattr(alert, "_prefetched_objects_cache", {})


@register.filter
def language_name(tag: str) -> str:
    """A language tag's name in the reader's language (`en` → English, Anglais, …), else the tag."""
    try:
        return str(translation.get_language_info(primary_subtag(tag))["name_translated"])
    except KeyError:
        return tag
