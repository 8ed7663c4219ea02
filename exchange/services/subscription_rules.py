"""What a subscription may say: the one place its rules live (SPEC §2, Appendix A).

The API's serializer and the portal's form only give these fields their types; every caller
(API, portal, demo data, benchmarks) is checked here, so the messages are the same everywhere.
`subscription_clean` answers the fields given, normalised (codes upper-case, names lower-case,
duplicates dropped), or raises ValidationFailed whose `errors` name each refused field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from exchange.choices import EventType
from exchange.errors import ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.jurisdictions import jurisdiction_problem
from exchange.models import Member, WebhookEndpoint
from exchange.services.matching import LIST_FILTERS, ListFilter, squash_spaces
from exchange.vocabularies import ALERT_TYPES, SEVERITIES

NAME_MAX_LENGTH = 200
MAX_FILTER_VALUES = 200
MAX_VALUE_LENGTH = 200
MAX_EMAIL_RECIPIENTS = 20
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = tuple(t for t in EventType.values if t != EventType.PING)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def subscription_defaults() -> JSONObject:
    """What a subscription has for every field left out: at creation, and when one is replaced (PUT)."""
    return {
        "name": "", "active": True, "event_types": [], "alert_types": [], "min_severity": None, "tools": [],
        "manufacturers": [], "clinical_areas": [], "jurisdictions": [], "publishers": [],
        "authorised_in_my_jurisdiction": False, "webhook_endpoints": [], "email_recipients": [],
    }


class _Refused(Exception):
    """One field's value is refused; `messages` say why, one per bad value."""

    def __init__(self, *messages: str) -> None:
        super().__init__(*messages)
        self.messages = list(messages)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _listed(values: JSONValue) -> list[JSONValue]:
    """A list field's values: null is none; anything but a list, or a longer one than allowed, is refused."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise _Refused("must be a list")
    if len(values) > MAX_FILTER_VALUES:
        raise _Refused(f"at most {MAX_FILTER_VALUES} values")
    return list(values)


def _refuse_any(messages: list[str]) -> None:
    if messages:
        raise _Refused(*messages)


def _name(value: JSONValue, member: Member) -> str:
    name = squash_spaces(value or "")
    if not name:
        raise _Refused("a subscription needs a name")
    if len(name) > NAME_MAX_LENGTH:
        raise _Refused(f"at most {NAME_MAX_LENGTH} characters")
    return name


def _flag(value: JSONValue, member: Member) -> bool:
    return bool(value)


def _refuse_blanks(values: list[JSONValue]) -> list[JSONValue]:
    """A list's values as given; an empty or blank one is refused (as the API always did), not dropped."""
    if any(not str(v).strip() for v in values):
        raise _Refused("values may not be blank")
    return values


def _event_types(value: JSONValue, member: Member) -> list[str]:
    # Exactly as listed: an integrator's typo (" alert.published", "Alert.Published") is a 400, not a guess.
    types = _unique(str(t) for t in _refuse_blanks(_listed(value)))
    _refuse_any([
        f"unknown event type {t!r}; choose among {', '.join(SUBSCRIBABLE_EVENT_TYPES)}"
        for t in types if t not in SUBSCRIBABLE_EVENT_TYPES
    ])
    return types


def _min_severity(value: JSONValue, member: Member) -> str | None:
    if value in (None, ""):
        return None
    severity = str(value)
    if severity not in SEVERITIES:
        raise _Refused(f"choose one of {', '.join(SEVERITIES)} (or null)")
    return severity


def _alert_types_refused(values: list[str]) -> list[str]:
    return [f"unknown alert type {t!r}; choose among {', '.join(ALERT_TYPES)}" for t in values if t not in ALERT_TYPES]


def _tools_refused(values: list[str]) -> list[str]:
    # LIST_FILTERS wrote every UUID in its canonical form; what is not in it was not a UUID.
    return [f"{t!r} is not a tool id (a UUID)" for t in values if not _CANONICAL_UUID.fullmatch(t)]


def _jurisdictions_refused(values: list[str]) -> list[str]:
    return [problem for problem in map(jurisdiction_problem, values) if problem is not None]


def _publishers_refused(values: list[str]) -> list[str]:
    known = set(Member.objects.filter(code__in=values).values_list("code", flat=True)) if values else set()
    return [f"no member with code {code!r}" for code in values if code not in known]


# What each list filter's values must be, beyond a list of short strings (normalised by LIST_FILTERS).
_VALUES_REFUSED: dict[str, Callable[[list[str]], list[str]]] = {
    "alert_types": _alert_types_refused,
    "tools": _tools_refused,
    "jurisdictions": _jurisdictions_refused,
    "publishers": _publishers_refused,
}


def _list_filter(list_filter: ListFilter) -> Callable[[JSONValue, Member], list[str]]:
    def clean(value: JSONValue, member: Member) -> list[str]:
        values = _unique(list_filter.normalise(v) for v in _refuse_blanks(_listed(value)))
        if any(len(v) > MAX_VALUE_LENGTH for v in values):
            raise _Refused(f"values are at most {MAX_VALUE_LENGTH} characters")
        refused = _VALUES_REFUSED.get(list_filter.field)
        _refuse_any(refused(values) if refused else [])
        return values

    return clean


def _email_recipients(value: JSONValue, member: Member) -> list[str]:
    addresses = _unique(str(e).strip().lower() for e in _refuse_blanks(_listed(value)))
    messages = [f"at most {MAX_EMAIL_RECIPIENTS} addresses"] if len(addresses) > MAX_EMAIL_RECIPIENTS else []
    for address in addresses:
        try:
            validate_email(address)
        except DjangoValidationError:
            messages.append(f"{address!r} is not an e-mail address")
    _refuse_any(messages)
    return addresses


def _webhook_endpoints(value: JSONValue, member: Member) -> list[WebhookEndpoint]:
    """The member's own endpoints, by id; another member's is refused like one that does not exist."""
    ids: list[uuid.UUID] = []
    messages: list[str] = []
    for item in _listed(value):
        try:
            ids.append(uuid.UUID(str(item)))
        except ValueError:
            messages.append(f"{item!r} is not an endpoint id")
    found = {e.pk: e for e in WebhookEndpoint.objects.filter(member=member, pk__in=ids)}
    messages += [f"your member has no webhook endpoint {pk}" for pk in ids if pk not in found]
    _refuse_any(messages)
    return [found[pk] for pk in dict.fromkeys(ids)]


# Every field a subscription is given by, in the order its errors are reported.
_CLEANERS: dict[str, Callable[[JSONValue, Member], object]] = {
    "name": _name,
    "active": _flag,
    "authorised_in_my_jurisdiction": _flag,
    "event_types": _event_types,
    "min_severity": _min_severity,
    **{list_filter.field: _list_filter(list_filter) for list_filter in LIST_FILTERS},
    "email_recipients": _email_recipients,
    "webhook_endpoints": _webhook_endpoints,
}


def subscription_clean(
    *, member: Member, data: JSONObject
) -> tuple[dict[str, object], list[WebhookEndpoint] | None]:
    """The fields given, checked and normalised, and the webhook endpoints if given.

    Raises ValidationFailed with every refused field's messages (`errors`, keyed by field name), the
    first of them in `detail`.
    """
    unknown = set(data) - set(_CLEANERS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) {', '.join(sorted(unknown))}.")
    clean: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for field, cleaner in _CLEANERS.items():
        if field in data:
            try:
                clean[field] = cleaner(data[field], member)
            except _Refused as refused:
                errors[field] = refused.messages
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", errors=errors)
    # What _webhook_endpoints returned, when the field was given.
    endpoints = cast("list[WebhookEndpoint] | None", clean.pop("webhook_endpoints", None))
    return clean, endpoints
