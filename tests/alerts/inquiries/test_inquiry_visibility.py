"""SPEC §3 and §10.3 on every surface of requests: list, detail, actions, inbox, events feed and
notifications. An `addressees` request is the asker's and the addressees' alone; an `audience`
request is seen by every member who can see its subject, as that subject's visibility says now."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from alerts.models import Alert, AlertRecipient, Signal, SignalView, Tool
from exchange.models import Event, Member, Notification
from exchange.services.fanout import event_fan_out
from exchange.services.members import member_update
from exchange.services.subscriptions import subscription_create
from tests.alerts.factories import alert_published_make
from tests.alerts.inquiries.conftest import URL, Callers, asked
from tests.alerts.reports.conftest import report_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

SECRET = "Confidential: which covert firmware build?"


def request_events(caller: ApiCaller) -> list[dict[str, Any]]:
    response = caller.get("/api/v1/events/", {"limit": 1000})
    assert response.status_code == 200, response.content
    return [e for e in response.json()["results"] if e["type"].startswith("request.")]


def listed(caller: ApiCaller, **query: str) -> list[str]:
    response = caller.get(URL, query)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def inbox_requests(caller: ApiCaller) -> list[str]:
    return [i["id"] for i in caller.get("/api/v1/inbox/").json()["results"] if i["kind"] == "request"]


def assert_sees_nothing(caller: ApiCaller, request_id: str) -> None:
    """Nothing of the request anywhere: list, filters, detail and actions (404 like an unknown id), inbox, events."""
    unknown = caller.get(f"{URL}{uuid.uuid4()}/")
    detail = caller.get(f"{URL}{request_id}/")
    assert_problem(detail, 404, "not-found")
    assert detail.json()["detail"] == unknown.json()["detail"]
    for action, body in (("answers", {"text": "x"}), ("messages", {"text": "x"}), ("close", {"note": "x"})):
        assert_problem(caller.post(f"{URL}{request_id}/{action}/", body), 404, "not-found")
    for query in ({}, {"direction": "asked"}, {"direction": "received"}, {"status": "open"}):
        assert request_id not in listed(caller, **query)
    assert request_id not in inbox_requests(caller)
    assert [e for e in request_events(caller) if e["data"].get("id") == request_id] == []
    for path in (URL, "/api/v1/events/?limit=1000", "/api/v1/inbox/", "/api/v1/notifications/"):
        assert SECRET not in caller.get(path).content.decode(), path


@pytest.fixture
def everyone_subscribes(network: Network) -> None:
    for regulator in network:
        subscription_create(actor=None, member=regulator.member, name="Everything")


def fan_out_requests() -> None:
    for event in Event.objects.filter(object_type="request"):
        event_fan_out(event_id=str(event.pk))


def notified(code: str) -> list[str]:
    return sorted(Notification.objects.filter(member__code=code, event__object_type="request")
                  .values_list("event__type", flat=True))


def test_an_addressees_request_is_invisible_to_the_rest_of_the_audience(
    fda_alert: Alert, callers: Callers, everyone_subscribes: None,
) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question=SECRET)
    callers("FDA").post(f"{URL}{request['id']}/answers/", {"text": "Build 7.2.1."})
    callers("HC").post(f"{URL}{request['id']}/close/", {"note": "Thanks."})
    fan_out_requests()

    for code in ("MHRA", "TGA", "SMC"):  # all of them see the alert itself
        assert callers(code).get(f"/api/v1/alerts/{fda_alert.pk}/").status_code == 200
        assert_sees_nothing(callers(code, "admin"), request["id"])
        assert notified(code) == []
    for code in ("HC", "FDA"):
        assert callers(code).get(f"{URL}{request['id']}/").status_code == 200
        assert [e["type"] for e in request_events(callers(code))] == [
            "request.opened", "request.answered", "request.closed",
        ]
        assert notified(code) == ["request.answered", "request.closed", "request.opened"]


def test_an_audience_request_is_seen_by_every_member_who_sees_the_subject(
    network: Network, tool: Tool, callers: Callers, everyone_subscribes: None,
) -> None:
    alert = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                 recipients=["HC", "MHRA"])
    request = asked(callers("HC"), {"alert": str(alert.pk)}, ["FDA"], confidentiality="audience", question=SECRET)
    fan_out_requests()

    mhra = callers("MHRA")
    assert listed(mhra) == [request["id"]]
    assert mhra.get(f"{URL}{request['id']}/").json()["question"] == SECRET
    assert [e["type"] for e in request_events(mhra)] == ["request.opened"]
    assert notified("MHRA") == ["request.opened"]
    assert inbox_requests(mhra) == []  # seen, not awaiting its answer
    assert_problem(mhra.post(f"{URL}{request['id']}/answers/", {"text": "Not asked"}), 403)
    for code in ("TGA", "SMC"):  # outside the alert's distribution
        assert_sees_nothing(callers(code, "admin"), request["id"])
        assert notified(code) == []


def test_an_audience_request_on_a_network_alert_is_seen_by_all(fda_alert: Alert, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], confidentiality="audience")

    for code in ("MHRA", "TGA", "SMC"):
        assert listed(callers(code)) == [request["id"]]
        assert [e["type"] for e in request_events(callers(code))] == ["request.opened"]


@pytest.mark.parametrize("confidentiality", ["addressees", "audience"])
def test_a_subject_taken_from_a_members_view_takes_its_requests(
    network: Network, tool: Tool, callers: Callers, confidentiality: str,
) -> None:
    """No service narrows a published alert today; whatever takes an alert from a member's view (here its
    recipient row) takes the requests about it too, because requests are seen through the alert's own rule."""
    alert = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                 recipients=["HC", "MHRA"])
    request = asked(callers("HC"), {"alert": str(alert.pk)}, ["FDA", "MHRA"], confidentiality=confidentiality)
    assert callers("MHRA").get(f"{URL}{request['id']}/").status_code == 200
    assert inbox_requests(callers("MHRA")) == [request["id"]]

    AlertRecipient.objects.filter(alert=alert, member__code="MHRA").delete()

    assert_problem(callers("MHRA").get(f"{URL}{request['id']}/"), 404)
    assert listed(callers("MHRA")) == []
    assert inbox_requests(callers("MHRA")) == []
    assert callers("HC").get(f"{URL}{request['id']}/").status_code == 200


def test_a_suspended_member_sees_none_of_its_requests(fda_alert: Alert, network: Network, callers: Callers) -> None:
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    hc_viewer = callers("HC", "viewer")
    member_update(actor=network.staff, member=network.hc.member, status="suspended")

    assert hc_viewer.get(f"{URL}{request['id']}/").status_code in (403, 404)
    from alerts.inquiry_selectors import inquiries_visible_to

    assert not inquiries_visible_to(member=Member.objects.get(code="HC")).exists()


def test_asking_about_an_invisible_subject_is_404_like_an_unknown_one(
    network: Network, tool: Tool, callers: Callers,
) -> None:
    hidden = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                  recipients=["MHRA"])
    hidden_report = report_make(by=network.fda, tool=tool, distribution="restricted", recipients=["MHRA"])
    for kind, subject_id in (("alert", hidden.pk), ("report", hidden_report.pk)):
        seen = callers("HC").post(URL, {"subject": {kind: str(subject_id)}, "to": ["FDA"], "question": "?"})
        unknown = callers("HC").post(URL, {"subject": {kind: str(uuid.uuid4())}, "to": ["FDA"], "question": "?"})
        malformed = callers("HC").post(URL, {"subject": {kind: "not-an-id"}, "to": ["FDA"], "question": "?"})
        for response in (seen, unknown, malformed):
            assert_problem(response, 404, "not-found")
        assert seen.json()["detail"] == unknown.json()["detail"] == malformed.json()["detail"]


def _signal_on(tool: Tool, reports: list[Any], viewers: list[str]) -> Signal:
    signal = Signal.objects.create(tool=tool, metric="sensitivity", kind="below_baseline", reference_value=0.9,
                                   pooled_value=0.7, ci_low=0.65, ci_high=0.75, margin=0.05)
    signal.reports.set(reports)
    for code in viewers:
        SignalView.objects.create(signal=signal, member=Member.objects.get(code=code))
    return signal


def test_a_signal_is_seen_by_members_who_see_every_report_behind_it(
    network: Network, tool: Tool, callers: Callers,
) -> None:
    shared = report_make(by=network.fda, tool=tool, distribution="restricted", recipients=["HC", "MHRA"])
    narrow = report_make(by=network.fda, tool=tool, distribution="restricted", recipients=["HC"])
    signal = _signal_on(tool, [shared, narrow], ["FDA", "HC"])

    refused = callers("HC").post(URL, {"subject": {"signal": str(signal.pk)}, "to": ["MHRA"], "question": "?"})
    assert_problem(refused, 400)
    assert "MHRA" in refused.json()["detail"]
    request = asked(callers("HC"), {"signal": str(signal.pk)}, ["FDA"], confidentiality="audience")

    assert listed(callers("FDA")) == [request["id"]]
    assert listed(callers("MHRA")) == []  # sees one report behind it, not both
    assert_problem(callers("MHRA").get(f"{URL}{request['id']}/"), 404)
    event = Event.objects.get(type="request.opened")
    assert sorted(event.audience.values_list("code", flat=True)) == ["FDA", "HC"]
    assert_problem(callers("MHRA").post(URL, {"subject": {"signal": str(signal.pk)}, "to": ["FDA"],
                                              "question": "?"}), 404)


def test_requests_awaiting_a_member_of_two_kinds_are_both_found_and_none_without(
    fda_alert: Alert, tool: Tool, network: Network, callers: Callers
) -> None:
    """The inbox and the navigation's count build the subject rules of the kinds awaiting the member only."""
    from alerts.inquiry_selectors import inquiries_awaiting

    assert list(inquiries_awaiting(member=network.mhra.member)) == []
    on_alert = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["MHRA"])
    on_tool = asked(callers("FDA"), {"tool": str(tool.pk)}, ["MHRA", "TGA"])

    assert {str(i.pk) for i in inquiries_awaiting(member=network.mhra.member)} == {on_alert["id"], on_tool["id"]}
    assert [str(i.pk) for i in inquiries_awaiting(member=network.tga.member)] == [on_tool["id"]]
    assert inquiries_awaiting(member=network.hc.member).count() == 0  # the asker awaits no answer of its own
