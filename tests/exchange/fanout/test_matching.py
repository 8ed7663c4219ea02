"""Which subscriptions an event matches (SPEC §2 Subscription, §3 visibility): the database decides."""

from __future__ import annotations

from typing import Any

import pytest

from exchange.models import Subscription
from exchange.services.members import member_update
from exchange.services.subscriptions import members_matching, subscription_create, subscriptions_matching
from tests.exchange.fanout.helpers import TOOL_A, TOOL_B, alert_facets, record
from tests.factories import Network

pytestmark = pytest.mark.django_db


def subscribe(regulator: Any, **filters: Any) -> Subscription:
    return subscription_create(actor=regulator.admin, member=regulator.member, name="watch", **filters)


def matched(event: Any) -> set[str]:
    return {str(pk) for pk, _ in subscriptions_matching(event)}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, True),
        ({"event_types": ["alert.published"]}, True),
        ({"event_types": ["alert.amended", "report.published"]}, False),
        ({"alert_types": ["performance_degradation", "recall"]}, True),
        ({"alert_types": ["recall"]}, False),
        ({"min_severity": "high"}, True),
        ({"min_severity": "medium"}, True),
        ({"min_severity": "critical"}, False),
        ({"tools": [TOOL_B, TOOL_A]}, True),
        ({"tools": [TOOL_B]}, False),
        ({"manufacturers": ["  ACME   Imaging Ltd "]}, True),
        ({"manufacturers": ["Other Devices plc"]}, False),
        ({"clinical_areas": ["Radiology"]}, True),
        ({"clinical_areas": ["pathology"]}, False),
        ({"jurisdictions": ["us"]}, True),
        ({"jurisdictions": ["AU"]}, False),
        ({"publishers": ["MHRA"]}, True),
        ({"publishers": ["FDA"]}, False),
        ({"alert_types": ["performance_degradation"], "tools": [TOOL_A], "jurisdictions": ["GB"]}, True),
        ({"alert_types": ["performance_degradation"], "tools": [TOOL_A], "jurisdictions": ["AU"]}, False),
        ({"active": False}, False),
    ],
)
def test_each_filter_of_a_subscription(network: Network, filters: dict[str, Any], expected: bool) -> None:
    subscription = subscribe(network.fda, **filters)
    event = record(facets=alert_facets())

    assert (str(subscription.pk) in matched(event)) is expected
    assert (network.fda.member.pk in members_matching(event)) is expected


def test_authorised_in_my_jurisdiction_uses_the_subscribing_members_country(network: Network) -> None:
    hc = subscribe(network.hc, authorised_in_my_jurisdiction=True)  # CA: authorised
    tga = subscribe(network.tga, authorised_in_my_jurisdiction=True)  # AU: not authorised
    event = record(facets=alert_facets(authorised_in=["GB", "CA"]))

    assert matched(event) == {str(hc.pk)}
    assert tga.pk


def test_a_filter_on_a_facet_the_event_does_not_carry_does_not_restrict(network: Network) -> None:
    """A report has no severity or alert type; an endpoint.disabled event has no facets at all."""
    severe = subscribe(network.fda, event_types=["report.published"], min_severity="critical", alert_types=["recall"])
    by_tool = subscribe(network.fda, event_types=["report.published"], tools=[TOOL_B])
    report = record(type="report.published", facets=alert_facets(alert_type=None, severity=None, tools=[TOOL_A]))

    assert matched(report) == {str(severe.pk)}
    assert by_tool.pk


def test_an_empty_facet_list_matches_no_filter_on_it(network: Network) -> None:
    by_jurisdiction = subscribe(network.fda, jurisdictions=["GB"])
    unfiltered = subscribe(network.fda)
    event = record(facets=alert_facets(jurisdictions=[]))

    assert matched(event) == {str(unfiltered.pk)}
    assert by_jurisdiction.pk


def test_network_and_public_audiences_reach_every_active_member(network: Network) -> None:
    subscriptions = {r.code: subscribe(r) for r in network}
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    for kind in ("network", "public"):
        event = record(audience_kind=kind)
        assert matched(event) == {str(s.pk) for code, s in subscriptions.items() if code != "SMC"}
        assert network.smc.member.pk not in members_matching(event)


def test_a_restricted_audience_reaches_only_the_listed_members(network: Network) -> None:
    subscriptions = {r.code: subscribe(r) for r in network}
    event = record(audience_kind="members", audience_codes=["MHRA", "HC"])

    assert matched(event) == {str(subscriptions["MHRA"].pk), str(subscriptions["HC"].pk)}
    assert members_matching(event) == {network.mhra.member.pk, network.hc.member.pk}


def test_a_suspended_member_in_a_restricted_audience_receives_nothing(network: Network) -> None:
    subscribe(network.hc)
    member_update(actor=network.staff, member=network.hc.member, status="suspended")

    assert members_matching(record(audience_kind="members", audience_codes=["MHRA", "HC"])) == set()


def test_types_without_routing_facets_match_by_event_type(network: Network) -> None:
    wanted = subscribe(network.fda, event_types=["endpoint.disabled"], tools=[TOOL_B], min_severity="high")
    other = subscribe(network.fda, event_types=["alert.published"])
    event = record(type="endpoint.disabled", audience_kind="members", audience_codes=["FDA"], publisher="", facets={})

    assert matched(event) == {str(wanted.pk)}
    assert other.pk


def test_an_unknown_event_type_matches_only_subscriptions_to_every_type(network: Network) -> None:
    everything = subscribe(network.fda)
    subscribe(network.fda, event_types=["alert.published"])
    event = record(type="something.new")

    assert matched(event) == {str(everything.pk)}


def test_recipients_are_found_by_one_query(network: Network, django_assert_num_queries: Any) -> None:
    for regulator in network:
        subscribe(regulator, tools=[TOOL_A], jurisdictions=["GB"])
        subscribe(regulator, min_severity="critical")
        subscribe(regulator)
    event = record(audience_kind="members", audience_codes=["MHRA", "FDA", "HC"])

    with django_assert_num_queries(1):
        found = subscriptions_matching(event)
    with django_assert_num_queries(1):
        members = members_matching(event)

    assert len(found) == 6
    assert members == {network.mhra.member.pk, network.fda.member.pk, network.hc.member.pk}


def test_changing_a_subscription_changes_what_it_matches(network: Network) -> None:
    from exchange.services.subscriptions import subscription_update

    subscription = subscribe(network.fda, tools=[TOOL_B])
    event = record()
    assert matched(event) == set()

    subscription_update(actor=network.fda.admin, subscription=subscription, tools=[TOOL_A], min_severity="low")
    assert matched(event) == {str(subscription.pk)}

    subscription_update(actor=network.fda.admin, subscription=subscription, active=False)
    assert matched(event) == set()
