"""A tool FDA authorised on its own assessment, and HC and MHRA by reliance on FDA's (SPEC §10.1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from alerts.models import Alert, Authorization, RelianceReview, Tool
from alerts.services.tools import authorization_record
from exchange.models import Event, Member
from exchange.selectors import events_visible_to
from tests.alerts.factories import alert_published_make
from tests.factories import Network, authorization_make, tool_make


@dataclass
class Reliance:
    tool: Tool
    fda: Authorization  # the reference
    hc: Authorization  # follows_reference
    mhra: Authorization  # independent_after_grant


def rely(network: Network, code: str, tool: Tool, reference: Authorization, validity: str, **extra: Any) -> Authorization:
    regulator = network[code]
    return authorization_record(
        actor=regulator.publisher, tool=tool, jurisdiction=regulator.country, reference=f"{code}-REL-1",
        date=date(2026, 2, 1), route="reliance", relies_on=reference.pk, validity=validity, **extra,
    )


@pytest.fixture
def reliance(network: Network) -> Reliance:
    tool = tool_make(actor=network.fda.publisher, name="CardioRhythm AI", manufacturer="Pellucid Cardiac Ltd",
                     clinical_area="cardiology")
    fda = authorization_make(actor=network.fda.publisher, tool=tool, reference="K250101")
    hc = rely(network, "HC", tool, fda, "follows_reference")
    mhra = rely(network, "MHRA", tool, fda, "independent_after_grant")
    return Reliance(tool=tool, fda=fda, hc=hc, mhra=mhra)


def events_of(member: Member, event_type: str) -> list[Event]:
    return list(events_visible_to(member=member).filter(type=event_type).order_by("sequence"))


REVIEWS = "/api/v1/reliance/reviews/"


def decision_url(review: RelianceReview | dict[str, Any]) -> str:
    review_id = review["id"] if isinstance(review, dict) else review.pk
    return f"{REVIEWS}{review_id}/decision/"


def publish(network: Network, reliance: Reliance, **overrides: Any) -> Alert:
    return alert_published_make(actor=network.fda.publisher, tools=[reliance.tool], **overrides)


def reviews_of(authorization: Authorization) -> list[RelianceReview]:
    return list(RelianceReview.objects.filter(authorization=authorization).order_by("opened_at"))
