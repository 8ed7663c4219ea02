"""report.published and signal.detected reach the matching subscriptions of members that may see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Report, Signal, Tool
from alerts.services.signals import signals_evaluate
from exchange.models import Event, Member, Notification, Subscription
from exchange.services.fanout import event_fan_out
from exchange.services.subscriptions import members_matching, subscription_create, subscriptions_matching
from tests.alerts.reports.conftest import counts
from tests.factories import Network, authorization_make


def subscribe(network: Network, code: str, **data: Any) -> Subscription:
    return subscription_create(actor=network[code].admin, member=network[code].member,
                               name=data.pop("name", f"{code} subscription"), **data)


def event_for(kind: str, obj: Report | Signal) -> Event:
    return Event.objects.get(type=kind, object_id=str(obj.pk))


def matching_codes(event: Event) -> set[str]:
    return set(Member.objects.filter(pk__in=members_matching(event)).values_list("code", flat=True))


def matching_subscriptions(event: Event) -> set[Any]:
    # (subscription id, member id) pairs, or objects carrying them
    return {match[0] if isinstance(match, tuple) else match.subscription_id for match in subscriptions_matching(event)}


@pytest.fixture
def subscriptions(network: Network, tool: Tool) -> dict[str, Subscription]:
    """One subscription per member, each wanting something different.

    `tool` is authorised in GB and the US (and, here, in Australia too).
    """
    authorization_make(actor=network.tga.publisher, tool=tool)
    return {
        "FDA": subscribe(network, "FDA", event_types=["report.published"], tools=[str(tool.pk)]),
        "HC": subscribe(network, "HC", event_types=["report.published", "signal.detected"],
                        authorised_in_my_jurisdiction=True),  # the tool is not on the Canadian market
        "TGA": subscribe(network, "TGA", event_types=["report.published", "signal.detected"],
                         authorised_in_my_jurisdiction=True, clinical_areas=["radiology"]),
        "SMC": subscribe(network, "SMC"),  # everything
        "MHRA": subscribe(network, "MHRA", event_types=["alert.published"]),
    }


def test_a_network_report_reaches_every_matching_subscription(
    tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report]
) -> None:
    report = make_report("MHRA")
    event = event_for("report.published", report)
    assert (event.object_type, event.audience_kind, event.publisher_code) == ("report", "network", "MHRA")
    assert event.facets["authorised_in"] == ["AU", "GB", "US"]
    assert matching_codes(event) == {"FDA", "TGA", "SMC"}
    assert matching_subscriptions(event) == {subscriptions[c].pk for c in ("FDA", "TGA", "SMC")}


def test_a_restricted_report_reaches_only_subscribers_in_its_distribution(
    tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report]
) -> None:
    report = make_report("MHRA", distribution="restricted", recipients=["TGA"])
    event = event_for("report.published", report)
    assert event.audience_kind == "members"
    assert matching_codes(event) == {"TGA"}  # FDA and SMC would match but may not see it


def test_filters_on_other_tools_publishers_or_paused_subscriptions_do_not_match(
    network: Network, tool: Tool, other_tool: Tool, make_report: Callable[..., Report]
) -> None:
    subscribe(network, "FDA", event_types=["report.published"], tools=[str(other_tool.pk)])
    subscribe(network, "HC", publishers=["FDA"])
    subscribe(network, "TGA", active=False)
    subscribe(network, "SMC", event_types=["report.published"], publishers=["MHRA"], manufacturers=["quillfeather imaging ltd"])
    event = event_for("report.published", make_report("MHRA"))
    assert matching_codes(event) == {"SMC"}


def test_a_signal_reaches_matching_subscribers_that_can_see_all_its_evidence(
    network: Network, tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report]
) -> None:
    subscribe(network, "FDA", name="FDA signals", event_types=["signal.detected"], tools=[str(tool.pk)])
    make_report("MHRA", metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    signals_evaluate(tool_id=tool.pk)
    event = event_for("signal.detected", Signal.objects.get(tool=tool))
    assert (event.object_type, event.audience_kind) == ("signal", "members")
    assert matching_codes(event) == {"FDA", "TGA", "SMC"}  # HC: not marketed in CA; MHRA: alerts only


def test_a_signal_on_restricted_evidence_skips_subscribers_that_cannot_see_it(
    network: Network, tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report]
) -> None:
    make_report("MHRA", metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    restricted = make_report("FDA", country="US", metrics=[counts("sensitivity", 780, 1000)], subgroups=[],
                             distribution="restricted", recipients=["TGA"])
    signals_evaluate(tool_id=tool.pk)
    # The signal on both reports (the others get their own, on MHRA's report alone).
    event = event_for("signal.detected", Signal.objects.get(tool=tool, reports=restricted))
    assert set(event.audience.values_list("code", flat=True)) == {"FDA", "TGA"}
    assert matching_codes(event) == {"TGA"}  # SMC's catch-all matches but cannot see FDA's report


def test_fan_out_records_a_notification_for_each_matching_member(
    tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report]
) -> None:
    report = make_report("MHRA", distribution="restricted", recipients=["FDA", "HC"])
    event = event_for("report.published", report)
    event_fan_out(event_id=str(event.pk))
    event.refresh_from_db()
    assert event.dispatched_at is not None
    notified = set(Notification.objects.filter(event=event).values_list("member__code", flat=True))
    assert notified == {"FDA"}  # HC's subscription wants tools marketed in CA; SMC is not a recipient
    event_fan_out(event_id=str(event.pk))  # a re-run adds nothing
    assert Notification.objects.filter(event=event).count() == 1


def test_fan_out_of_a_signal_notifies_only_matching_members_of_its_audience(
    network: Network, tool: Tool, subscriptions: dict[str, Subscription], make_report: Callable[..., Report],
    callers: Callable[..., Any],
) -> None:
    make_report("MHRA", metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    restricted = make_report("FDA", country="US", metrics=[counts("sensitivity", 780, 1000)], subgroups=[],
                             distribution="restricted", recipients=["TGA", "SMC"])
    signals_evaluate(tool_id=tool.pk)
    signal = Signal.objects.get(tool=tool, reports=restricted)
    event = event_for("signal.detected", signal)
    event_fan_out(event_id=str(event.pk))
    notified = set(Notification.objects.filter(event=event).values_list("member__code", flat=True))
    assert notified == {"TGA", "SMC"}  # FDA's subscription wants reports only; HC and MHRA cannot see it
    for code, expected in (("TGA", True), ("SMC", True), ("HC", False), ("MHRA", False)):
        response = callers(code, "viewer").get("/api/v1/notifications/")
        assert response.status_code == 200, response.json()
        seen = any(item["event_id"] == str(event.pk) and item["object_id"] == str(signal.pk)
                   for item in response.json()["results"])
        assert seen is expected, (code, response.json())


def test_a_signal_carries_the_countries_of_its_evidence_for_jurisdiction_filters(
    network: Network, tool: Tool, make_report: Callable[..., Report]
) -> None:
    subscribe(network, "FDA", event_types=["signal.detected"], jurisdictions=["GB"])
    subscribe(network, "HC", event_types=["signal.detected"], jurisdictions=["CA"])
    subscribe(network, "TGA", event_types=["signal.detected"], publishers=["MHRA"])  # nobody publishes a signal
    make_report("MHRA", metrics=[counts("sensitivity", 800, 1000)], subgroups=[])
    signals_evaluate(tool_id=tool.pk)
    event = event_for("signal.detected", Signal.objects.get(tool=tool))
    assert event.facets["jurisdictions"] == ["GB"]
    assert matching_codes(event) == {"FDA"}
