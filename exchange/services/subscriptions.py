"""Subscriptions: what a member wants to hear about — validated, stored with their term rows, audited.

Finding an event's recipients among them is exchange.services.matching (re-exported here).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from exchange.choices import (
    EVENT_TYPE_BITS,
    EventType,
)
from exchange.errors import ValidationFailed
from exchange.models import (
    Member,
    Subscription,
    SubscriptionEndpoint,
    SubscriptionTerm,
    User,
    WebhookEndpoint,
)
from exchange.selectors import one_or_404
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write
from exchange.services.matching import (  # noqa: F401  (members_matching, subscriptions_matching: re-exported)
    LIST_FILTERS,
    dimension_bit,
    members_matching,
    squash_spaces,
    subscriptions_matching,
    term_key,
)
from exchange.vocabularies import ALERT_TYPES, SEVERITIES

MAX_FILTER_VALUES = 200
MAX_EMAIL_RECIPIENTS = 20
SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = tuple(t for t in EventType.values if t != EventType.PING)


# --- managing subscriptions ----------------------------------------------------------------------


def _subscription_state(subscription: Subscription, endpoint_ids: Iterable[Any]) -> dict[str, Any]:
    return {
        "name": subscription.name,
        "active": subscription.active,
        "event_types": subscription.event_types,
        "alert_types": subscription.alert_types,
        "min_severity": subscription.min_severity,
        "tools": subscription.tools,
        "manufacturers": subscription.manufacturers,
        "clinical_areas": subscription.clinical_areas,
        "jurisdictions": subscription.jurisdictions,
        "publishers": subscription.publishers,
        "authorised_in_my_jurisdiction": subscription.authorised_in_my_jurisdiction,
        "webhook_endpoints": sorted(str(pk) for pk in endpoint_ids),
        "email_recipients": subscription.email_recipients,
    }


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _clean_list(field: str, values: Any, errors: dict[str, list[str]]) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        errors[field] = ["must be a list"]
        return []
    if len(values) > MAX_FILTER_VALUES:
        errors[field] = [f"at most {MAX_FILTER_VALUES} values"]
        return []
    return list(values)


def _clean(member: Member, data: dict[str, Any]) -> tuple[dict[str, Any], list[WebhookEndpoint]]:
    """Validate and normalise the fields given; raises ValidationFailed listing every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "name" in data:
        name = squash_spaces(data["name"] or "")
        if not name:
            errors["name"] = ["must not be blank"]
        elif len(name) > 200:
            errors["name"] = ["at most 200 characters"]
        clean["name"] = name
    if "active" in data:
        clean["active"] = bool(data["active"])
    if "authorised_in_my_jurisdiction" in data:
        clean["authorised_in_my_jurisdiction"] = bool(data["authorised_in_my_jurisdiction"])
    if "event_types" in data:
        types = [str(t).strip() for t in _clean_list("event_types", data["event_types"], errors)]
        unknown = [t for t in types if t not in SUBSCRIBABLE_EVENT_TYPES]
        if unknown:
            errors["event_types"] = [
                f"unknown event type {t!r}; choose among {', '.join(SUBSCRIBABLE_EVENT_TYPES)}" for t in unknown
            ]
        clean["event_types"] = _unique(types)
    if "min_severity" in data:
        severity = data["min_severity"]
        if severity in (None, ""):
            clean["min_severity"] = None
        elif str(severity).lower() not in SEVERITIES:
            errors["min_severity"] = [f"choose one of {', '.join(SEVERITIES)} (or null)"]
        else:
            clean["min_severity"] = str(severity).lower()
    for list_filter in LIST_FILTERS:
        if list_filter.field not in data:
            continue
        values = _clean_list(list_filter.field, data[list_filter.field], errors)
        normalised = _unique(list_filter.normalise(v) for v in values if str(v).strip())
        if any(len(v) > 200 for v in normalised):
            errors[list_filter.field] = ["values are at most 200 characters"]
        clean[list_filter.field] = normalised
    if "alert_types" in clean:
        unknown = [t for t in clean["alert_types"] if t not in ALERT_TYPES]
        if unknown:
            errors["alert_types"] = [f"unknown alert type {t!r}; choose among {', '.join(ALERT_TYPES)}" for t in unknown]
    if "tools" in clean:
        bad = [t for t in clean["tools"] if not _is_uuid(t)]
        if bad:
            errors["tools"] = [f"{t!r} is not a tool id (a UUID)" for t in bad]
    if "jurisdictions" in clean:
        bad = [j for j in clean["jurisdictions"] if len(j) != 2 or not j.isalpha()]
        if bad:
            errors["jurisdictions"] = [f"{j!r} is not an ISO 3166-1 alpha-2 code (or EU)" for j in bad]
    if clean.get("publishers"):
        known = set(Member.objects.filter(code__in=clean["publishers"]).values_list("code", flat=True))
        unknown = [code for code in clean["publishers"] if code not in known]
        if unknown:
            errors["publishers"] = [f"no member with code {code!r}" for code in unknown]
    if "email_recipients" in data:
        emails = _clean_list("email_recipients", data["email_recipients"], errors)
        cleaned_emails = _unique(str(e).strip().lower() for e in emails if str(e).strip())
        if len(cleaned_emails) > MAX_EMAIL_RECIPIENTS:
            errors["email_recipients"] = [f"at most {MAX_EMAIL_RECIPIENTS} addresses"]
        for address in cleaned_emails:
            try:
                validate_email(address)
            except DjangoValidationError:
                errors.setdefault("email_recipients", []).append(f"{address!r} is not an e-mail address")
        clean["email_recipients"] = cleaned_emails
    endpoints: list[WebhookEndpoint] = []
    if "webhook_endpoints" in data:
        raw = _clean_list("webhook_endpoints", data["webhook_endpoints"], errors)
        ids: list[uuid.UUID] = []
        for value in raw:
            try:
                ids.append(uuid.UUID(str(value)))
            except ValueError:
                errors.setdefault("webhook_endpoints", []).append(f"{value!r} is not an endpoint id")
        found = {e.pk: e for e in WebhookEndpoint.objects.filter(member=member, pk__in=ids)}
        for pk in ids:
            if pk not in found:
                errors.setdefault("webhook_endpoints", []).append(f"your member has no webhook endpoint {pk}")
        endpoints = [found[pk] for pk in dict.fromkeys(ids) if pk in found]
    if errors:
        field, messages = next(iter(errors.items()))
        raise ValidationFailed(f"{field}: {messages[0]}", errors=errors)
    return clean, endpoints


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _apply(subscription: Subscription, clean: dict[str, Any]) -> None:
    for field, value in clean.items():
        setattr(subscription, field, value)
    subscription.event_type_mask = 0
    for event_type in subscription.event_types:
        subscription.event_type_mask |= EVENT_TYPE_BITS[event_type]
    subscription.min_severity_rank = SEVERITIES.rank(subscription.min_severity)
    subscription.term_mask = 0
    for list_filter in LIST_FILTERS:
        if getattr(subscription, list_filter.field):
            subscription.term_mask |= dimension_bit(list_filter.dimension)


def _write_terms(subscription: Subscription) -> None:
    SubscriptionTerm.objects.filter(subscription=subscription).delete()
    SubscriptionTerm.objects.bulk_create(terms_for(subscription))


def terms_for(subscription: Subscription) -> list[SubscriptionTerm]:
    """The term rows of a subscription, carrying copies of its scalar conditions."""
    return [
        SubscriptionTerm(
            subscription=subscription,
            member_id=subscription.member_id,
            dimension=list_filter.dimension,
            key=term_key(list_filter.dimension, value),
            active=subscription.active,
            event_type_mask=subscription.event_type_mask,
            min_severity_rank=subscription.min_severity_rank,
            term_mask=subscription.term_mask,
            authorised_in_my_jurisdiction=subscription.authorised_in_my_jurisdiction,
        )
        for list_filter in LIST_FILTERS
        for value in getattr(subscription, list_filter.field)
    ]


def _write_endpoints(subscription: Subscription, endpoints: list[WebhookEndpoint]) -> None:
    SubscriptionEndpoint.objects.filter(subscription=subscription).delete()
    SubscriptionEndpoint.objects.bulk_create(
        [SubscriptionEndpoint(subscription=subscription, endpoint=endpoint) for endpoint in endpoints]
    )


def _endpoint_ids(subscription: Subscription) -> list[Any]:
    return list(
        SubscriptionEndpoint.objects.filter(subscription=subscription).values_list("endpoint_id", flat=True)
    )


FIELDS = (
    "name", "active", "event_types", "alert_types", "min_severity", "tools", "manufacturers",
    "clinical_areas", "jurisdictions", "publishers", "authorised_in_my_jurisdiction",
    "webhook_endpoints", "email_recipients",
)


@audited_write
def subscription_create(*, actor: User | None, member: Member, **data: Any) -> Subscription:
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) {', '.join(sorted(unknown))}.")
    if not str(data.get("name") or "").strip():
        raise ValidationFailed("name: a subscription needs a name.", errors={"name": ["required"]})
    defaults: dict[str, Any] = {field: [] for field in FIELDS}
    defaults.update(name="", active=True, min_severity=None, authorised_in_my_jurisdiction=False)
    clean, endpoints = _clean(member, {**defaults, **data})
    subscription = Subscription(member=member)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    _write_endpoints(subscription, endpoints)
    audit_record(
        actor=actor, action="subscription.created", object_type="subscription", object_id=subscription.pk,
        after=_subscription_state(subscription, [e.pk for e in endpoints]), member_code=member.code,
    )
    return subscription


@audited_write
def subscription_update(*, actor: User | None, subscription: Subscription, **changes: Any) -> Subscription:
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationFailed(f"Unknown field(s) {', '.join(sorted(unknown))}.")
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("member").get(pk=subscription.pk)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    clean, endpoints = _clean(subscription.member, changes)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    if "webhook_endpoints" in changes:
        _write_endpoints(subscription, endpoints)
    after = _subscription_state(subscription, _endpoint_ids(subscription))
    if after != before:
        audit_record(
            actor=actor, action="subscription.updated", object_type="subscription", object_id=subscription.pk,
            before=before, after=after, member_code=subscription.member.code,
        )
    return subscription


@audited_write
def subscription_delete(*, actor: User | None, subscription: Subscription) -> None:
    subscription = Subscription.objects.select_for_update(of=("self",)).select_related("member").get(pk=subscription.pk)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    code = subscription.member.code
    pk = subscription.pk
    subscription.delete()
    audit_record(
        actor=actor, action="subscription.deleted", object_type="subscription", object_id=pk,
        before=before, member_code=code,
    )


def subscription_get(*, member: Member, subscription_id: Any) -> Subscription:
    """One of the member's own subscriptions; another member's is not found (404)."""
    return one_or_404(Subscription.objects.all(), detail="No such subscription.", member=member, pk=subscription_id)
