"""Reads of the network: which events a member may see; one row or a 404."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BigIntegerField, Exists, F, Model, OuterRef, Prefetch, QuerySet, Subquery

from exchange.choices import Role
from exchange.errors import NotFound
from exchange.models import (
    ApiToken,
    Delivery,
    DeliveryAttempt,
    Event,
    FeedEntry,
    Member,
    Notification,
    Subscription,
    SubscriptionEndpoint,
    User,
    WebhookEndpoint,
)

T = TypeVar("T", bound=Model)


def feed_of(*, member: Member) -> QuerySet[FeedEntry]:
    """The member's feed: the events it may see (SPEC §3, §4), each with the member's own number
    (`sequence`, 1, 2, 3 … without gaps), with its event; nothing for a suspended member."""
    if not member.is_active:
        return FeedEntry.objects.none()
    return FeedEntry.objects.filter(member=member).select_related("event")


def events_visible_to(*, member: Member) -> QuerySet[Event]:
    """Events in the member's feed (its audience when recorded included it, active)."""
    if not member.is_active:
        return Event.objects.none()
    return Event.objects.filter(Exists(FeedEntry.objects.filter(event=OuterRef("pk"), member=member)))


def member_sequence() -> Subquery[BigIntegerField[int, int]]:
    """For a query over rows with `event_id` and `member_id`: the event's number in that member's feed."""
    return Subquery(
        FeedEntry.objects.filter(event_id=OuterRef("event_id"), member_id=OuterRef("member_id")).values("sequence")[:1],
        output_field=BigIntegerField(),
    )


def one_or_404(queryset: QuerySet[T], *, detail: str, **lookup: object) -> T:
    """The one row of `queryset` matching `lookup`, or NotFound (404) with `detail`.

    A malformed id (not a UUID, not a number) is not found either: the caller learns nothing more from
    a bad id than from an id it may not see. Start `queryset` from a visibility selector.
    """
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFound(detail) from exc


# --- what belongs to one member: every read of the member's own network objects starts here ----------


def admins_active(*, member_ids: Iterable[int]) -> QuerySet[User]:
    """The active admins of these members: who may be the last admin, who is e-mailed for the member."""
    return User.objects.filter(member_id__in=list(member_ids), role=Role.ADMIN, is_active=True)


def users_of(*, member: Member) -> QuerySet[User]:
    return User.objects.filter(member=member).select_related("member")


def tokens_of(*, member: Member) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user__member=member).select_related("user")


def endpoints_of(*, member: Member) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(member=member).select_related("member")


def subscriptions_of(*, member: Member) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(member=member)
        .select_related("member")
        .prefetch_related(Prefetch("endpoint_links", queryset=SubscriptionEndpoint.objects.only("subscription_id", "endpoint_id")))
    )


def deliveries_of(*, member: Member | int) -> QuerySet[Delivery]:
    """With the event's type and its sequence in the member's feed, and every attempt in order."""
    return (
        Delivery.objects.filter(member=member)
        .annotate(event_type=F("event__type"), event_sequence=member_sequence())
        .prefetch_related(Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("at", "id")))
    )


def notifications_of(*, member: Member) -> QuerySet[Notification]:
    return Notification.objects.filter(member=member).select_related("event")
