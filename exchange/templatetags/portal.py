"""Template helpers shared by every portal page: who is signed in, deadlines, choice labels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

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


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def countdown_text(deadline: datetime | None, now: datetime | None = None) -> str:
    if deadline is None:
        return "No deadline"
    delta = deadline - (now or timezone.now())
    if delta.total_seconds() <= 0:
        return f"Overdue by {_span(delta)}"
    return f"Due in {_span(delta)}"


@register.filter
def countdown(deadline: datetime | None) -> SafeString:
    """A deadline as 'Due in 2 days 4 h' or 'Overdue by 3 h', kept current by portal.js."""
    if deadline is None:
        return mark_safe('<span class="deadline none">No deadline</span>')
    overdue = deadline <= timezone.now()
    return format_html(
        '<time class="deadline{}" datetime="{}" data-countdown title="{}">{}</time>',
        " overdue" if overdue else "",
        deadline.isoformat(),
        timezone.localtime(deadline).strftime("%d %b %Y %H:%M %Z"),
        countdown_text(deadline),
    )


@register.filter
def when(moment: datetime | None) -> str:
    """An absolute time with its zone, e.g. 'Thu 27 Nov 2026, 14:00 UTC'."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@register.filter
def deadline(moment: datetime | None) -> SafeString:
    """A deadline both ways: 'Thu 27 Nov 2026, 14:00 UTC (due in 23 h 5 min)'."""
    if moment is None:
        return mark_safe('<span class="deadline none">No deadline</span>')
    return format_html('<span class="deadline-full">{} <span class="relative">({})</span></span>',
                       when(moment), countdown(moment))


@register.filter
def number(value: Any) -> str:
    """An integer with thousands separators ('12,480'); other values unchanged."""
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return f"{value:,}"


@register.filter
def hours(value: float | None) -> str:
    """A duration given in hours, readably: '12 min', '5.5 h', '3.2 days'."""
    if value is None:
        return "—"
    if value < 1:
        return f"{max(round(value * 60), 1)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


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
