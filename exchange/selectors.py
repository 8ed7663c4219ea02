"""Reads of the network: which events a member may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from exchange.choices import AudienceKind
from exchange.models import Event, EventAudience, Member


def events_visible_to(*, member: Member) -> QuerySet[Event]:
    """Events whose recorded audience includes the member (SPEC §3, §4); nothing for a suspended one."""
    if not member.is_active:
        return Event.objects.none()
    listed = Exists(EventAudience.objects.filter(event=OuterRef("pk"), member=member))
    return Event.objects.filter(Q(audience_kind__in=[AudienceKind.NETWORK, AudienceKind.PUBLIC]) | Q(listed))
