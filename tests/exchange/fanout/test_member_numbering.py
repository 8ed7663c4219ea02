"""Per-member event numbering (SPEC §4): each member's feed numbers the events it may see 1, 2, 3 …
without gaps — in the feed, in the webhook `data.sequence` it receives and in its notifications — so
a gap means a missed event and the numbers say nothing about events hidden from it."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection

from exchange.models import Delivery, FeedEntry, MemberFeed, Notification
from exchange.services.members import member_update
from tests.exchange.fanout.helpers import hook, publish, pump, record, subscribe, verify
from tests.factories import Network, regulator_make
from tests.integration.receiver import Receiver

pytestmark = pytest.mark.django_db


def _last(member: Any) -> int:
    feed = MemberFeed.objects.filter(member=member).first()
    return feed.last_sequence if feed else 0


def _feed(api: Any, regulator: Any, after: int = 0, **query: Any) -> list[dict[str, Any]]:
    response = api(regulator.viewer).get("/api/v1/events/", {"after": after, "limit": 1000, **query})
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def test_a_feed_is_gap_free_while_other_members_restricted_events_are_recorded(network: Network, api: Any) -> None:
    starts = {code: _last(network[code].member) for code in ("HC", "FDA")}
    shared, hidden = [], []
    for _ in range(3):
        shared.append(record(audience_kind="network"))
        hidden.append(record(audience_kind="members", audience_codes=["MHRA", "FDA"]))  # not HC's to see
        hidden.append(record(audience_kind="members", audience_codes=["MHRA", "FDA"]))

    hc = _feed(api, network.hc, after=starts["HC"])
    fda = _feed(api, network.fda, after=starts["FDA"])

    assert [e["sequence"] for e in hc] == list(range(starts["HC"] + 1, starts["HC"] + 4))  # 1, 2, 3: no holes
    assert [e["id"] for e in hc] == [str(e.pk) for e in shared]
    assert [e["sequence"] for e in fda] == list(range(starts["FDA"] + 1, starts["FDA"] + 10))
    assert all(e["data"]["sequence"] == e["sequence"] for e in hc + fda)
    # The network-wide order has holes where HC was not in the audience; HC's numbers do not show them.
    assert [e.sequence for e in shared] != [e["sequence"] for e in hc]


def test_each_receiver_gets_its_own_members_sequence(network: Network, receiver: Receiver) -> None:
    endpoints = {code: hook(network[code], receiver) for code in ("FDA", "HC")}
    for code, endpoint in endpoints.items():
        subscribe(network[code], [endpoint])
    starts = {code: _last(network[code].member) for code in endpoints}
    publish(audience_kind="members", audience_codes=["MHRA", "FDA"])
    event, _ = publish(audience_kind="network")

    pump()

    sequences = {}
    for code, endpoint in endpoints.items():
        bodies = [verify(endpoint, request) for request in receiver.received(f"/{code.lower()}")]
        sequences[code] = {body["data"]["event_id"]: body["data"]["sequence"] for body in bodies}
    assert sequences["HC"] == {str(event.pk): starts["HC"] + 1}
    assert sequences["FDA"][str(event.pk)] == starts["FDA"] + 2
    assert len(sequences["FDA"]) == 2


def test_a_dropped_delivery_shows_as_a_gap_and_the_feed_fills_it(
    network: Network, api: Any, receiver: Receiver
) -> None:
    endpoint = hook(network.hc, receiver)
    subscribe(network.hc, [endpoint])
    events = [publish(audience_kind="network")[0] for _ in range(3)]
    Delivery.objects.filter(event=events[1]).delete()  # lost on the way

    pump()

    received = sorted(verify(endpoint, r)["data"]["sequence"] for r in receiver.received("/hc"))
    # What a receiving client does: any number missing between the ones it holds is a missed event.
    missing = sorted(set(range(received[0], received[-1] + 1)) - set(received))
    assert len(received) == 2
    assert len(missing) == 1
    [filled] = _feed(api, network.hc, after=missing[0] - 1, limit=1)
    assert (filled["sequence"], filled["id"]) == (missing[0], str(events[1].pk))


def test_notifications_carry_the_members_own_numbers(network: Network, api: Any) -> None:
    subscribe(network.hc)
    subscribe(network.fda)
    publish(audience_kind="members", audience_codes=["MHRA", "FDA"])
    event, _ = publish(audience_kind="network")

    for code in ("HC", "FDA"):
        member = network[code].member
        number = FeedEntry.objects.get(event=event, member=member).sequence
        assert Notification.objects.get(event=event, member=member).sequence == number
        listed = api(network[code].viewer).get("/api/v1/notifications/").json()["results"]
        assert {n["sequence"] for n in listed if n["event_id"] == str(event.pk)} == {number}


def test_only_active_members_are_numbered_and_a_new_member_starts_at_one(network: Network, api: Any) -> None:
    member_update(actor=network.staff, member=network.smc.member, status="suspended")
    event = record(audience_kind="network")
    newcomer = regulator_make(code="ANVISA", name="Agência Nacional de Vigilância Sanitária", country="BR")
    later = record(audience_kind="public")

    assert not FeedEntry.objects.filter(event=event, member=network.smc.member).exists()
    assert not FeedEntry.objects.filter(event=event, member=newcomer.member).exists()
    assert [(e["id"], e["sequence"]) for e in _feed(api, newcomer)][-1] == (str(later.pk), _last(newcomer.member))
    assert FeedEntry.objects.filter(member=newcomer.member).order_by("sequence").first().sequence == 1


def test_numbering_never_restarts_once_old_entries_are_removed(network: Network) -> None:
    record(audience_kind="network")
    before = _last(network.tga.member)
    FeedEntry.objects.filter(member=network.tga.member).delete()  # as retention removes old events

    event = record(audience_kind="network")

    assert FeedEntry.objects.get(event=event, member=network.tga.member).sequence == before + 1


def test_the_migration_numbers_existing_events_per_member_in_their_order(network: Network) -> None:
    subscribe(network.hc)
    for _ in range(2):
        publish(audience_kind="network")
        publish(audience_kind="members", audience_codes=["MHRA", "HC"])
        publish(audience_kind="members", audience_codes=["FDA"])
    numbered = set(FeedEntry.objects.values_list("member_id", "event_id", "sequence"))
    notified = set(Notification.objects.values_list("member_id", "event_id", "sequence"))
    FeedEntry.objects.all().delete()
    MemberFeed.objects.all().delete()
    Notification.objects.update(sequence=0)

    migration = importlib.import_module("exchange.migrations.0006_per_member_event_numbers")
    migration.number_existing(None, SimpleNamespace(connection=connection))

    assert set(FeedEntry.objects.values_list("member_id", "event_id", "sequence")) == numbered
    assert set(Notification.objects.values_list("member_id", "event_id", "sequence")) == notified
    for feed in MemberFeed.objects.all():
        numbers = sorted(FeedEntry.objects.filter(member_id=feed.member_id).values_list("sequence", flat=True))
        assert numbers == list(range(1, feed.last_sequence + 1))
