"""Reads of the network: which events a member may see; one row or a 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from exchange.choices import AudienceKind
from exchange.errors import NotFound
from exchange.models import Event, EventAudience, Member

T = TypeVar("T", bound=Model)


def events_visible_to(*, member: Member) -> QuerySet[Event]:
    """Events whose recorded audience includes the member (SPEC §3, §4); nothing for a suspended one."""
    if not member.is_active:
        return Event.objects.none()
    listed = Exists(EventAudience.objects.filter(event=OuterRef("pk"), member=member))
    return Event.objects.filter(Q(audience_kind__in=[AudienceKind.NETWORK, AudienceKind.PUBLIC]) | Q(listed))


def one_or_404(queryset: QuerySet[T], *, detail: str, **lookup: Any) -> T:
    """The one row of `queryset` matching `lookup`, or NotFound (404) with `detail`.

    A malformed id (not a UUID, not a number) is not found either: the caller learns nothing more from
    a bad id than from an id it may not see. Start `queryset` from a visibility selector.
    """
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, DjangoValidationError) as exc:
        raise NotFound(detail) from exc
