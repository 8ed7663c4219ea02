"""The events feed (SPEC §4, Appendix A): one event per transition, in its transaction, for its audience,
and a reader that resumes after its last sequence never misses one — also under concurrent commits."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections, transaction
from django.db.models import Max

from alerts.models import Alert, ReferenceCounter, Tool
from alerts.services import ack_requests
from alerts.services import alerts as alert_services
from exchange.errors import ServiceError
from exchange.models import AuditEntry, Event, FeedEntry
from exchange.services.members import member_update
from tests.alerts.factories import (
    alert_amended_make,
    alert_closed_make,
    alert_draft_make,
    alert_payload,
    alert_published_make,
)
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller, assert_problem


@pytest.fixture
def tool(network: Network) -> Tool:
    registered = tool_make(actor=network.mhra.publisher)
    authorization_make(actor=network.mhra.publisher, tool=registered)
    return registered


def _events_of(alert: Alert | str) -> list[Event]:
    object_id = str(alert.pk if isinstance(alert, Alert) else alert)
    return list(Event.objects.filter(object_type="alert", object_id=object_id).order_by("sequence"))


def _feed(caller: ApiCaller, **query: Any) -> dict[str, Any]:
    response = caller.get("/api/v1/events/", {"limit": 1000, **query})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


# --- one event per transition, in the same transaction --------------------------------------------


def test_each_transition_writes_exactly_one_event_of_its_type(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    alert_id = caller.post("/api/v1/alerts/", alert_payload(tools=[tool])).json()["id"]
    url = f"/api/v1/alerts/{alert_id}"
    assert caller.patch(f"{url}/", {"summary": "Edited."}).status_code == 200
    assert _events_of(alert_id) == []  # drafting concerns nobody else

    expected: list[str] = []
    for event_type, response in (
        ("alert.published", lambda: caller.post(f"{url}/publish/")),
        ("alert.amended", lambda: caller.post(f"{url}/amend/", {"summary": "Amended.", "change_summary": "Why."},
                                              HTTP_IF_MATCH=caller.get(f"{url}/")["ETag"])),
        ("alert.amended", lambda: caller.post(f"{url}/amend/", {"hazard": "Worse.", "change_summary": "New hazard",
                                                                "material": True},
                                              HTTP_IF_MATCH=caller.get(f"{url}/")["ETag"])),
        ("alert.closed", lambda: caller.post(f"{url}/close/", {"resolution": "Fixed in 2.4.1."})),
        ("alert.withdrawn", lambda: caller.post(f"{url}/withdraw/", {"reason": "Issued in error."})),
    ):
        assert response().status_code == 200
        expected.append(event_type)
        events = _events_of(alert_id)
        assert [e.type for e in events] == expected
        assert [e.sequence for e in events] == sorted(e.sequence for e in events)


def test_a_deleted_draft_leaves_no_event(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.mhra.publisher)
    alert_id = caller.post("/api/v1/alerts/", alert_payload(tools=[tool])).json()["id"]

    assert caller.delete(f"/api/v1/alerts/{alert_id}/").status_code == 204
    assert _events_of(alert_id) == []


def test_a_refused_transition_writes_no_event(network: Network, api: Any, tool: Tool) -> None:
    mhra, fda, viewer = api(network.mhra.publisher), api(network.fda.publisher), api(network.mhra.viewer)
    published = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    closed = alert_closed_make(actor=network.mhra.publisher, tools=[tool])
    counts = (Event.objects.count(), AuditEntry.objects.count())
    base = f"/api/v1/alerts/{published.pk}"

    for response, status in (
        (mhra.post(f"{base}/publish/"), 409),
        (mhra.post(f"{base}/amend/", {"summary": "x", "change_summary": "y"}), 428),
        (mhra.post(f"{base}/amend/", {"summary": "x", "change_summary": "y"}, HTTP_IF_MATCH='"stale"'), 412),
        (mhra.post(f"{base}/amend/", {"distribution": "restricted", "recipients": ["FDA"], "change_summary": "y"},
                   HTTP_IF_MATCH=published.etag), 400),
        (mhra.post(f"{base}/close/", {"resolution": ""}), 400),
        (fda.post(f"{base}/close/", {"resolution": "Not yours."}), 403),
        (fda.post(f"/api/v1/alerts/{draft.pk}/publish/"), 404),
        (mhra.post(f"/api/v1/alerts/{draft.pk}/close/", {"resolution": "x"}), 409),
        (mhra.post(f"/api/v1/alerts/{closed.pk}/close/", {"resolution": "x"}), 409),
        (viewer.post(f"/api/v1/alerts/{draft.pk}/publish/"), 403),
    ):
        assert_problem(response, status)

    assert (Event.objects.count(), AuditEntry.objects.count()) == counts


Transition = Callable[[Network, Alert], Alert]

TRANSITIONS: dict[str, tuple[str, Transition]] = {
    "publish": ("draft", lambda n, a: alert_services.alert_publish(actor=n.mhra.publisher, alert=a)),
    "amend": ("published", lambda n, a: alert_services.alert_amend(
        actor=n.mhra.publisher, alert=a, data={"summary": "Amended."}, change_summary="Why.", material=True,
        if_match=a.etag)),
    "close": ("published", lambda n, a: alert_services.alert_close(actor=n.mhra.publisher, alert=a,
                                                                   resolution="Fixed.")),
    "withdraw": ("published", lambda n, a: alert_services.alert_withdraw(actor=n.mhra.publisher, alert=a,
                                                                         reason="Issued in error.")),
}


@pytest.mark.parametrize("name", TRANSITIONS)
def test_the_event_is_written_in_the_transitions_transaction(network: Network, tool: Tool, name: str) -> None:
    start, transition = TRANSITIONS[name]
    make = alert_draft_make if start == "draft" else alert_published_make
    alert = make(actor=network.mhra.publisher, tools=[tool])
    before = Event.objects.count()

    inside: list[int] = []

    class Rollback(Exception):
        pass

    def transition_then_roll_back() -> None:
        with transaction.atomic():
            transition(network, alert)
            inside.append(Event.objects.count())
            raise Rollback

    with pytest.raises(Rollback):
        transition_then_roll_back()

    # Inside the caller's transaction: the change and its one event, together.
    assert inside == [before + 1]

    # Rolled back together: no event for a change that did not happen.
    assert Event.objects.count() == before
    assert Alert.objects.get(pk=alert.pk).status == start


def test_a_failure_after_the_event_rolls_back_change_event_and_reference(
    network: Network, tool: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    counts = (Event.objects.count(), AuditEntry.objects.count(), list(ReferenceCounter.objects.values_list()))

    def boom(**kwargs: Any) -> None:
        raise RuntimeError("acknowledgement requests could not be created")

    # Requesting acknowledgements is the publication's last step, after its event is written.
    monkeypatch.setattr(ack_requests, "acknowledgements_request", boom)
    with pytest.raises(RuntimeError):
        alert_services.alert_publish(actor=network.mhra.publisher, alert=alert)

    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.status, stored.reference, stored.revision) == ("draft", None, 0)
    assert (Event.objects.count(), AuditEntry.objects.count(),
            list(ReferenceCounter.objects.values_list())) == counts


def test_a_failed_service_call_writes_no_event(network: Network, tool: Tool) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    before = Event.objects.count()

    with pytest.raises(ServiceError):
        alert_services.alert_close(actor=network.mhra.publisher, alert=alert, resolution="   ")
    with pytest.raises(ServiceError):
        alert_services.alert_amend(actor=network.mhra.publisher, alert=alert, data={"title": alert.title},
                                   change_summary="Nothing changes.", material=False, if_match=alert.etag)

    assert Event.objects.count() == before


# --- audience ------------------------------------------------------------------------------------


def test_a_restricted_alerts_events_reach_only_publisher_and_recipients(
    network: Network, api: Any, tool: Tool
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                 recipients=["FDA"])
    alert = alert_amended_make(actor=network.mhra.publisher, alert=alert)
    alert_services.alert_close(actor=network.mhra.publisher, alert=alert, resolution="Fixed.")

    for code in ("MHRA", "FDA", "HC", "TGA", "SMC"):
        types = [e["type"] for e in _feed(api(network[code].viewer))["results"] if e["data"]["id"] == str(alert.pk)]
        expected = ["alert.published", "alert.amended", "alert.closed"] if code in ("MHRA", "FDA") else []
        assert types == expected, code
    stored = _events_of(alert)
    assert {e.audience_kind for e in stored} == {"members"}
    assert all(sorted(e.audience.values_list("code", flat=True)) == ["FDA", "MHRA"] for e in stored)


def test_widening_to_the_network_reaches_others_from_the_amendment_on(
    network: Network, api: Any, tool: Tool
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                 recipients=["FDA"])
    alert_amended_make(actor=network.mhra.publisher, alert=alert, distribution="network")

    types = [e["type"] for e in _feed(api(network.hc.viewer))["results"] if e["data"]["id"] == str(alert.pk)]

    assert types == ["alert.amended"]


def test_network_and_public_events_reach_every_active_member(network: Network, api: Any, tool: Tool) -> None:
    alerts = {kind: alert_published_make(actor=network.fda.publisher, tools=[tool], distribution=kind)
              for kind in ("network", "public")}
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    for code in ("MHRA", "FDA", "HC", "TGA"):
        ids = {e["data"]["id"] for e in _feed(api(network[code].viewer))["results"]}
        assert {str(a.pk) for a in alerts.values()} <= ids
    assert_problem(api(network.smc.viewer).get("/api/v1/events/"), 403, "forbidden")


# --- shape and paging ----------------------------------------------------------------------------


def test_data_carries_event_id_sequence_and_the_alert(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.hc.viewer)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    as_read = caller.get(f"/api/v1/alerts/{alert.pk}/").json()
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=False, severity="critical",
                       change_summary="Raised the severity.")

    events = [e for e in _feed(caller)["results"] if e["data"]["id"] == str(alert.pk)]

    published, amended = events
    for event in events:
        assert set(event) >= {"id", "sequence", "type", "created_at", "data"}
        assert event["data"]["event_id"] == event["id"]
        assert event["data"]["sequence"] == event["sequence"]
    # Beside the alert, an alert.* event carries its current revision as signed (SPEC §8).
    envelope = ("event_id", "sequence", "signature", "signed_revision")
    assert {k: v for k, v in published["data"].items() if k not in envelope} == as_read
    assert published["data"]["signed_revision"]["signature"] == published["data"]["signature"]
    assert amended["data"]["revision"] == 2
    assert amended["data"]["severity"] == "critical"
    assert amended["data"]["reference"] == alert.reference
    assert amended["data"]["amendment"] == {"revision": 2, "change_summary": "Raised the severity.",
                                            "material": False, "changed_fields": ["severity"]}


def _last_of(regulator: Any) -> int:
    """The last number in the regulator's own feed (SPEC §4: each member numbers its events 1, 2, 3 …)."""
    return FeedEntry.objects.filter(member=regulator.member).aggregate(m=Max("sequence"))["m"] or 0


def test_paging_after_the_last_sequence(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.tga.viewer)
    start = _last_of(network.tga)
    for _ in range(5):
        alert_published_make(actor=network.mhra.publisher, tools=[tool])

    first = caller.get("/api/v1/events/", {"after": start, "limit": 2}).json()
    assert [e["sequence"] for e in first["results"]] == [start + 1, start + 2]
    assert first["last_sequence"] == start + 2
    assert first["next"]
    assert f"after={start + 2}" in first["next"]
    rest = caller.get(first["next"]).json()
    assert [e["sequence"] for e in rest["results"]] == [start + 3, start + 4]
    last = caller.get(rest["next"]).json()
    assert [e["sequence"] for e in last["results"]] == [start + 5]
    assert last["next"] is None
    caught_up = caller.get("/api/v1/events/", {"after": start + 5}).json()
    assert (caught_up["results"], caught_up["last_sequence"], caught_up["next"]) == ([], start + 5, None)


def test_the_feed_filters_by_type_and_clamps_the_limit(network: Network, api: Any, tool: Tool) -> None:
    caller = api(network.tga.viewer)
    alert_closed_make(actor=network.mhra.publisher, tools=[tool])

    only_closed = _feed(caller, type="alert.closed")["results"]
    assert [e["type"] for e in only_closed] == ["alert.closed"]
    assert caller.get("/api/v1/events/", {"limit": 10**6}).status_code == 200


@pytest.mark.parametrize("query", [{"after": "-1"}, {"after": "latest"}, {"limit": "0"}, {"limit": "many"}])
def test_bad_paging_parameters_are_a_400_problem(network: Network, api: Any, query: dict[str, str]) -> None:
    body = assert_problem(api(network.tga.viewer).get("/api/v1/events/", query), 400, "validation-error")

    assert set(query) <= set(body["errors"])


# --- the feed guarantee --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reader_resuming_after_its_last_sequence_sees_every_event_once_in_order(
    network: Network, api: Any, tool: Tool, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.API_RATE_LIMIT = None  # the reader polls as fast as it can
    writers, per_writer = 8, 5
    publishers = [network[code].publisher for code in ("MHRA", "FDA", "HC", "TGA")]
    # Every other alert is restricted to two members that are not the reader: the network's order has
    # holes for the reader, its own numbering none.
    drafts = [
        [alert_draft_make(actor=publishers[w % len(publishers)], tools=[tool], title=f"Feed alert {w}.{i}",
                          **({"distribution": "restricted", "recipients": ["MHRA", "FDA"]} if i % 2 else {}))
         for i in range(per_writer)]
        for w in range(writers)
    ]
    reader = api(network.smc.viewer)
    start = _last_of(network.smc)
    global_start = Event.objects.aggregate(m=Max("sequence"))["m"] or 0

    request_acknowledgements = ack_requests.acknowledgements_request

    def linger(**kwargs: Any) -> None:
        # Hold the transaction open a moment after its event is written, so commits overlap reads.
        request_acknowledgements(**kwargs)
        time.sleep(random.uniform(0, 0.004))

    monkeypatch.setattr(ack_requests, "acknowledgements_request", linger)
    go = threading.Barrier(writers + 1)
    writers_done = threading.Event()
    seen: list[int] = []
    seen_while_writing: list[int] = []
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            go.wait(timeout=10)
            for alert in drafts[w]:
                alert_services.alert_publish(actor=publishers[w % len(publishers)], alert=alert)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def read() -> None:
        last = start
        try:
            go.wait(timeout=10)
            while True:
                finished = writers_done.is_set()  # read before asking: an empty answer then means drained
                response = reader.get("/api/v1/events/", {"after": last, "limit": 1})
                assert response.status_code == 200, response.content
                results = response.json()["results"]
                if results:
                    last = results[0]["sequence"]
                    seen.append(last)
                    if not finished:
                        seen_while_writing.append(last)
                elif finished:
                    return
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    writers_done.set()
    reader_thread.join(timeout=120)

    assert not errors, errors
    assert Event.objects.filter(sequence__gt=global_start).count() == writers * per_writer
    visible = writers * len(range(0, per_writer, 2))
    final = list(
        FeedEntry.objects.filter(member=network.smc.member, sequence__gt=start)
        .order_by("sequence").values_list("sequence", flat=True)
    )
    assert final == list(range(start + 1, start + 1 + visible))  # the reader's numbers are gap-free
    # In commit order: the network's order of the reader's events is its numbers' order.
    in_network_order = list(
        FeedEntry.objects.filter(member=network.smc.member, sequence__gt=start)
        .order_by("event__sequence").values_list("sequence", flat=True)
    )
    assert in_network_order == final
    assert seen == final  # each exactly once, ascending, none missed
    assert seen_while_writing, "the reader should have read while the writers were committing"
