"""Matching and acknowledgement requests by the versions each authorisation covers (SPEC §10.2).

`versioned` is authorised in GB (MHRA) and the US (FDA); the alerts here affect 3.2.0 and 3.3.1.
"""

from __future__ import annotations

from typing import Any

from alerts.models import Acknowledgement, Alert, Authorization, Tool
from alerts.services.tools import authorization_update
from exchange.models import Event, Member
from exchange.services.matching import members_matching, subscriptions_matching
from exchange.services.subscriptions import subscription_create
from tests.alerts.factories import alert_published_make
from tests.factories import Network, authorization_make


def _authorise(network: Network, tool: Tool, code: str, versions: str) -> None:
    existing = Authorization.objects.filter(tool=tool, jurisdiction=network[code].country).first()
    if existing is None:
        authorization_make(actor=network[code].publisher, tool=tool)
        existing = Authorization.objects.get(tool=tool, jurisdiction=network[code].country)
    authorization_update(actor=network[code].publisher, authorization=existing, versions=versions)


def _publish(network: Network, tool: Tool, **overrides: Any) -> Alert:
    return alert_published_make(actor=network.mhra.publisher, tools=[tool], affected_tools=[
        {"tool": str(tool.pk), "versions": ">=3.2,<3.4", "fixed_in": "3.4.0"}], **overrides)


def _requested(alert: Alert) -> set[str]:
    return set(Acknowledgement.objects.filter(alert=alert, requested=True).values_list("member__code", flat=True))


def _event(alert: Alert) -> Event:
    return Event.objects.get(type="alert.published", object_id=str(alert.pk))


def _codes(member_ids: set[int]) -> set[str]:
    return set(Member.objects.filter(pk__in=member_ids).values_list("code", flat=True))


def test_a_jurisdiction_whose_authorisation_covers_no_affected_version_is_told_not_asked(
    network: Network, versioned: Tool,
) -> None:
    _authorise(network, versioned, "FDA", "<3.2")  # the US market carries 3.1.0 only
    _authorise(network, versioned, "TGA", ">=3.3")  # Australia carries 3.3.1, which is affected
    alert = _publish(network, versioned, affected_jurisdictions=["GB", "US", "AU"])

    assert _requested(alert) == {"TGA"}
    assert _event(alert).facets["authorised_in"] == ["AU", "GB"]
    assert Acknowledgement.objects.filter(alert=alert, member__code="FDA", requested=True).count() == 0


def test_an_authorisation_without_versions_covers_every_version(network: Network, versioned: Tool) -> None:
    alert = _publish(network, versioned, affected_jurisdictions=["GB", "US"])

    assert _requested(alert) == {"FDA"}
    assert _event(alert).facets["authorised_in"] == ["GB", "US"]


def test_authorised_in_my_jurisdiction_matches_only_where_an_affected_version_is_authorised(
    network: Network, versioned: Tool, django_assert_num_queries: Any,
) -> None:
    _authorise(network, versioned, "FDA", "3.1.0")
    _authorise(network, versioned, "TGA", "3.2.0, 3.4.0")
    for code in ("FDA", "TGA"):
        subscription_create(actor=None, member=network[code].member, name="On our market",
                            authorised_in_my_jurisdiction=True)
    subscription_create(actor=None, member=network.hc.member, name="Everything on this tool",
                        tools=[str(versioned.pk)])
    alert = _publish(network, versioned, affected_jurisdictions=[])
    event = _event(alert)

    with django_assert_num_queries(1):
        found = subscriptions_matching(event)
    with django_assert_num_queries(1):
        members = members_matching(event)
    assert len(found) == 2
    assert _codes(members) == {"TGA", "HC"}  # FDA's market carries no affected version
    assert _requested(alert) == {"TGA", "HC"}  # asked because their subscriptions match


def test_the_alert_still_reaches_a_member_whose_other_subscriptions_match(network: Network, versioned: Tool) -> None:
    _authorise(network, versioned, "FDA", "<3.2")
    subscription_create(actor=None, member=network.fda.member, name="Radiology", clinical_areas=["radiology"])
    alert = _publish(network, versioned, affected_jurisdictions=["GB"])

    assert network.fda.member.pk in members_matching(_event(alert))
