"""SPEC §3 on the acknowledgement surfaces: no member learns of another's restricted alert through the
inbox, the acknowledgement endpoints, the events feed or its notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from alerts.models import Alert
from alerts.services.acknowledgements import acknowledgements_overdue_sweep
from exchange.models import Event, Member, Notification
from exchange.services.fanout import event_fan_out
from exchange.services.members import member_update
from exchange.services.subscriptions import members_matching, subscription_create
from tests.alerts.acknowledgements.conftest import ack_row, ack_url, acks_url, answer
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

Callers = Callable[..., ApiCaller]


@pytest.fixture
def restricted(network: Network, publish: Callable[..., Alert]) -> Alert:
    """MHRA → FDA only, although it affects Canada and Switzerland too; every member subscribes to everything."""
    for regulator in network:
        subscription_create(actor=None, member=regulator.member, name="Everything")
    alert = publish(title="Restricted: covert firmware issue", severity="critical", distribution="restricted",
                    recipients=["FDA"], affected_jurisdictions=["GB", "US", "CA", "CH"])
    answer(network.fda.assessor, alert, "assessing")
    ack = ack_row(alert, "FDA")
    assert ack is not None
    assert ack.deadline is not None
    acknowledgements_overdue_sweep(now=ack.deadline + timedelta(minutes=1))
    return alert


def _leaks(text: str, alert: Alert) -> bool:
    return str(alert.pk) in text or (alert.reference or "") in text or "covert" in text


@pytest.mark.parametrize("code", ["HC", "SMC", "TGA"])
def test_outsiders_see_nothing_of_it_anywhere(restricted: Alert, callers: Callers, code: str) -> None:
    caller = callers(code, "admin")

    inbox = caller.get("/api/v1/inbox/")
    events = caller.get("/api/v1/events/", {"limit": 1000})
    own = caller.get(ack_url(restricted))
    answer_attempt = caller.put(ack_url(restricted), {"state": "received"})
    every = caller.get(acks_url(restricted))
    extend = caller.patch(acks_url(restricted), {"member": code, "deadline": "2099-01-01T00:00:00Z"})

    assert inbox.json()["results"] == []
    assert not _leaks(inbox.content.decode(), restricted)
    assert not _leaks(events.content.decode(), restricted)
    for response in (own, answer_attempt, every, extend):
        assert_problem(response, 404, "not-found")
        assert not _leaks(response.content.decode(), restricted)
    assert ack_row(restricted, code) is None


def test_the_recipient_and_the_publisher_see_what_concerns_them(restricted: Alert, callers: Callers) -> None:
    fda, mhra = callers("FDA", "admin"), callers("MHRA", "admin")

    registry = {"authorisation.changed"}  # the tool's authorisations: registry data, for every member (SPEC §4)
    fda_types = [e["type"] for e in fda.get("/api/v1/events/", {"limit": 1000}).json()["results"]
                 if e["type"] not in registry]
    mhra_types = [e["type"] for e in mhra.get("/api/v1/events/", {"limit": 1000}).json()["results"]
                  if e["type"] not in registry]

    assert [item["id"] for item in fda.get("/api/v1/inbox/").json()["results"]] == [str(restricted.pk)]
    assert fda_types == ["alert.published", "acknowledgement.overdue"]
    assert mhra_types == ["alert.published", "acknowledgement.updated", "acknowledgement.overdue"]
    assert [row["member"] for row in mhra.get(acks_url(restricted)).json()["results"]] == ["FDA"]


def test_no_outsider_gets_a_notification(network: Network, restricted: Alert, callers: Callers) -> None:
    events = list(Event.objects.filter(object_type__in=["alert", "acknowledgement"]).order_by("sequence"))
    assert [e.type for e in events] == ["alert.published", "acknowledgement.updated", "acknowledgement.overdue"]
    codes = dict(Member.objects.values_list("pk", "code"))

    matched = [sorted(codes[pk] for pk in members_matching(event)) for event in events]
    for event in events:
        event_fan_out(event_id=str(event.pk))

    assert matched == [["FDA", "MHRA"], ["MHRA"], ["FDA", "MHRA"]]
    outsiders = [network.hc.member, network.smc.member, network.tga.member]
    assert not Notification.objects.filter(member__in=outsiders).exists()
    for code in ("HC", "SMC", "TGA"):
        response = callers(code, "admin").get("/api/v1/notifications/")
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []
    fda = [n["type"] for n in callers("FDA", "admin").get("/api/v1/notifications/").json()["results"]]
    mhra = [n["type"] for n in callers("MHRA", "admin").get("/api/v1/notifications/").json()["results"]]
    assert sorted(fda) == ["acknowledgement.overdue", "alert.published"]
    assert sorted(mhra) == ["acknowledgement.overdue", "acknowledgement.updated", "alert.published"]


def test_answers_are_told_to_the_publisher_not_to_other_recipients(network: Network, publish: Callable[..., Alert],
                                                                  callers: Callers) -> None:
    alert = publish(distribution="restricted", recipients=["FDA", "HC"], affected_jurisdictions=["US", "CA"])
    answer(network.fda.assessor, alert, "not_applicable", decision="decline", rationale="Confidential reasons.")

    hc_events = callers("HC").get("/api/v1/events/", {"type": "acknowledgement.updated"}).json()["results"]
    hc_view = callers("HC").get(ack_url(alert)).json()

    assert hc_events == []
    assert hc_view["member"] == "HC"
    assert hc_view["history"] == []
    assert_problem(callers("HC", "admin").get(acks_url(alert)), 403, "forbidden")  # it sees the alert: no secret


def test_a_suspended_member_reads_no_inbox(network: Network, alert: Alert, callers: Callers) -> None:
    fda = callers("FDA")
    member_update(actor=network.staff, member=network.fda.member, status="suspended")

    assert_problem(fda.get("/api/v1/inbox/"), 403, "forbidden")
    assert_problem(fda.get(ack_url(alert)), 403, "forbidden")
