"""Subscriptions: what a member wants to hear about — checked, stored with their term rows, audited.

What a subscription may say is exchange.services.subscription_rules; finding an event's recipients
among them is exchange.services.matching (re-exported here).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from exchange.choices import EVENT_TYPE_BITS
from exchange.json_types import JSONObject, JSONValue
from exchange.models import (
    Member,
    Subscription,
    SubscriptionEndpoint,
    SubscriptionTerm,
    User,
    WebhookEndpoint,
)
from exchange.selectors import one_or_404
from exchange.services.audit import audit_record, audit_record_change
from exchange.services.chain import audited_write
from exchange.services.matching import LIST_FILTERS, dimension_bit, term_key
from exchange.services.matching import members_matching as members_matching  # re-exported
from exchange.services.matching import subscriptions_matching as subscriptions_matching  # re-exported
from exchange.services.owned import owned_delete, owned_locked
from exchange.services.subscription_rules import subscription_clean, subscription_defaults
from exchange.vocabularies import SEVERITIES

# --- managing subscriptions ----------------------------------------------------------------------


def _subscription_state(subscription: Subscription, endpoint_ids: Iterable[uuid.UUID]) -> JSONObject:
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


def _apply(subscription: Subscription, clean: dict[str, object]) -> None:
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


def _endpoint_ids(subscription: Subscription) -> list[uuid.UUID]:
    return list(
        SubscriptionEndpoint.objects.filter(subscription=subscription).values_list("endpoint_id", flat=True)
    )


@audited_write
def subscription_create(*, actor: User | None, member: Member, **data: JSONValue) -> Subscription:
    clean, endpoints = subscription_clean(member=member, data={**subscription_defaults(), **data})
    subscription = Subscription(member=member)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    _write_endpoints(subscription, endpoints or [])
    audit_record(
        actor=actor, action="subscription.created", object_type="subscription", object_id=subscription.pk,
        after=_subscription_state(subscription, [e.pk for e in endpoints or []]), member_code=member.code,
    )
    return subscription


@audited_write
def subscription_update(
    *, actor: User | None, subscription: Subscription, replace: bool = False, **changes: JSONValue
) -> Subscription:
    """Change the fields given; with `replace`, every field left out returns to its default."""
    if replace:
        changes = {**subscription_defaults(), **changes}
    subscription = owned_locked(subscription)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    clean, endpoints = subscription_clean(member=subscription.member, data=changes)
    _apply(subscription, clean)
    subscription.save()
    _write_terms(subscription)
    if endpoints is not None:
        _write_endpoints(subscription, endpoints)
    audit_record_change(
        actor=actor, action="subscription.updated", object_type="subscription", object_id=subscription.pk,
        before=before, after=_subscription_state(subscription, _endpoint_ids(subscription)),
        member_code=subscription.member.code,
    )
    return subscription


@audited_write
def subscription_delete(*, actor: User | None, subscription: Subscription) -> None:
    subscription = owned_locked(subscription)
    before = _subscription_state(subscription, _endpoint_ids(subscription))
    owned_delete(actor=actor, row=subscription, object_type="subscription", before=before)


def subscription_get(*, member: Member, subscription_id: int | str) -> Subscription:
    """One of the member's own subscriptions; another member's is not found (404)."""
    return one_or_404(Subscription.objects.all(), detail="No such subscription.", member=member, pk=subscription_id)
