"""Template helpers shared by every portal page: who is signed in, deadlines, choice labels."""

from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import dateformat, formats, timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from exchange.portal.access import Portal, portal_of

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_identity(context: template.Context) -> Portal | None:
    """The signed-in member user (for the navigation), on any page, error pages included."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return None
    portal = portal_of(request)
    if portal is None or not portal.member.is_active:
        return None
    return portal


@register.filter
def can(portal: Portal | None, scope: str) -> bool:
    return portal is not None and portal.can(scope)


def _days(days: int, hours: int) -> str:
    return ngettext("%(days)d day %(hours)d h", "%(days)d days %(hours)d h", days) % {"days": days, "hours": hours}


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _days(days, hours)
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def countdown_text(deadline: datetime | None, now: datetime | None = None) -> str:
    if deadline is None:
        return gettext("No deadline")
    delta = deadline - (now or timezone.now())
    if delta.total_seconds() <= 0:
        return gettext("Overdue by %(span)s") % {"span": _span(delta)}
    return gettext("Due in %(span)s") % {"span": _span(delta)}


def _countdown_words() -> str:
    """The countdown's words in the page's language, for portal.js to keep it current: {d}, {h}, {m}
    and {span} stand for the numbers and the span. The same for every deadline of a page (50 in an inbox):
    made once per language."""
    return _countdown_words_in(translation.get_language())


@functools.lru_cache(maxsize=32)
def _countdown_words_in(language: str | None) -> str:
    with translation.override(language):
        return json.dumps({
            "due": gettext("Due in %(span)s") % {"span": "{span}"},
            "overdue": gettext("Overdue by %(span)s") % {"span": "{span}"},
            "day": _marked(_days(1, 99992), h=99992).replace("1", "{d}", 1),
            "days": _marked(_days(99991, 99992), d=99991, h=99992),
            "hm": _marked(gettext("%(hours)d h %(minutes)d min") % {"hours": 99992, "minutes": 99993},
                          h=99992, m=99993),
            "m": _marked(gettext("%(minutes)d min") % {"minutes": 99993}, m=99993),
        }, ensure_ascii=False)


def _marked(text: str, **numbers: int) -> str:
    for name, value in numbers.items():
        text = text.replace(str(value), "{" + name + "}")
    return text


@register.filter
def countdown(deadline: datetime | None) -> SafeString:
    """A deadline as 'Due in 2 days 4 h' or 'Overdue by 3 h', kept current by portal.js (in the page's language)."""
    if deadline is None:
        return format_html('<span class="deadline none">{}</span>', gettext("No deadline"))
    return _countdown_html(deadline, formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT"))


def _countdown_html(deadline: datetime, title: str | None) -> SafeString:
    overdue = deadline <= timezone.now()
    return format_html(
        '<time class="deadline{}" datetime="{}" data-countdown data-words="{}"{}>{}</time>',
        " overdue" if overdue else "",
        deadline.isoformat(),
        _countdown_words(),
        format_html(' title="{}"', title) if title else "",
        countdown_text(deadline),
    )


def _full_format() -> str:
    return _full_format_in(translation.get_language())


@functools.lru_cache(maxsize=32)
def _full_format_in(language: str | None) -> str:
    """The language's FULL_DATETIME_FORMAT (config/formats): a moment with its weekday."""
    for module in formats.get_format_modules(language):
        if hasattr(module, "FULL_DATETIME_FORMAT"):
            return str(module.FULL_DATETIME_FORMAT)
    return "D j M Y, H:i"


@register.filter
def when(moment: datetime | None) -> str:
    """An absolute time with its zone in the page's language: 'Thu 27 Nov 2026, 14:00 UTC',
    'jeu 27 nov. 2026 à 14:00 UTC', '2026年11月27日(木) 14:00 UTC'."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{dateformat.format(local, _full_format())} {local.tzname()}"


@register.filter
def deadline(moment: datetime | None) -> SafeString:
    """A deadline both ways: 'Thu 27 Nov 2026, 14:00 UTC (due in 23 h 5 min)'. The countdown carries no
    title here: the moment it would show is written beside it (an overdue table has a hundred of them)."""
    if moment is None:
        return format_html('<span class="deadline none">{}</span>', gettext("No deadline"))
    return format_html('<span class="deadline-full">{} <span class="relative">({})</span></span>',
                       when(moment), _countdown_html(moment, None))


@register.filter
def number(value: Any) -> str:
    """An integer with the language's thousands separator ('12,480', '12 480'); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return formats.number_format(value, force_grouping=True)


@register.filter
def hours(value: float | None) -> str:
    """A duration given in hours, readably: '12 min', '5.5 h', '3.2 days' (the language's decimal mark)."""
    if value is None:
        return "—"
    if value < 1:
        return gettext("%(minutes)d min") % {"minutes": max(round(value * 60), 1)}
    if value < 48:
        return gettext("%(value)s h") % {"value": formats.number_format(round(value, 1), 1)}
    return gettext("%(value)s days") % {"value": formats.number_format(round(value / 24, 1), 1)}


@register.filter
def is_past(moment: datetime | None) -> bool:
    return moment is not None and moment <= timezone.now()


@register.filter
def label(value: Any, choices: Any) -> str:
    """The human label of a stored choice value (`{{ alert.status|label:statuses }}`)."""
    if value in (None, ""):
        return "—"
    mapping = dict(getattr(choices, "choices", choices))
    return str(mapping.get(value, value))


@register.filter
def get_metric(mapping: dict[str, Any] | None, metric: str) -> Any:
    """`{{ own_baseline|get_metric:signal.metric }}`: a value by key, or None."""
    return (mapping or {}).get(metric)


@register.filter
def last_of(items: Any) -> Any:
    """The last item of a list or (prefetched) queryset, or None."""
    values = list(items or [])
    return values[-1] if values else None


# Django's and DRF's own messages say "this field" and nothing else: in the error summary, far from
# the field, they are told with the field's name.
_GENERIC_STARTS = ("This field ", "Enter a valid", "Enter a whole number", "Enter a number", "Select a valid choice",
                   "Ensure this value", "A valid ", "Not a valid", "This value ", "Must be a")


@register.filter
def error_in_words(error: Any, field: Any) -> str:
    """`{{ error|error_in_words:field }}`: the message, naming its field when the message does not."""
    message = str(error)
    label = str(getattr(field, "label", "") or "").split(" — ")[0].split(" (optional")[0].strip()
    if not label or not message.startswith(_GENERIC_STARTS):
        return message
    if message in ("This field is required.", "This field may not be blank.", "This field may not be null."):
        return f"{label}: required."
    return f"{label}: {message[0].lower()}{message[1:]}"
