"""Acknowledgement of a report: requested from audience members where the tool is authorised; forward-only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.models import Acknowledgement, Report, Tool
from tests.alerts.reports.conftest import report_url
from tests.factories import Network, authorization_make
from tests.helpers import ApiCaller, assert_problem, row_counts


def ack_url(report: Report) -> str:
    return f"{report_url(report)}acknowledgement/"


def requested_codes(report: Report) -> set[str]:
    return set(
        Acknowledgement.objects.filter(report=report, requested=True).values_list("member__code", flat=True)
    )


def inbox_reports(caller: ApiCaller) -> set[str]:
    response = caller.get("/api/v1/inbox/")
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["results"] if item["kind"] == "report"}


@pytest.fixture
def marketed_tool(network: Network, tool: Tool) -> Tool:
    """`tool`, authorised in GB and the US, and also in Canada; never in Australia or Switzerland."""
    authorization_make(actor=network.hc.publisher, tool=tool)
    return tool


@pytest.fixture
def report(marketed_tool: Tool, make_report: Callable[..., Report]) -> Report:
    """MHRA's network-wide report: FDA and HC are asked to acknowledge it."""
    return make_report("MHRA", on=marketed_tool)


def test_requested_from_audience_members_where_the_tool_is_authorised(report: Report) -> None:
    assert requested_codes(report) == {"FDA", "HC"}  # not MHRA (the publisher), TGA or SMC (not marketed there)
    for ack in Acknowledgement.objects.filter(report=report):
        assert (ack.deadline, ack.state, ack.revision) == (None, None, 1)
        assert ack.requested_at is not None


def test_a_restricted_report_asks_only_its_recipients(
    marketed_tool: Tool, make_report: Callable[..., Report]
) -> None:
    restricted = make_report("MHRA", on=marketed_tool, distribution="restricted", recipients=["FDA", "TGA"])
    assert requested_codes(restricted) == {"FDA"}  # HC is authorised but not a recipient; TGA not authorised


def test_a_draft_asks_nobody(marketed_tool: Tool, make_report: Callable[..., Report]) -> None:
    assert requested_codes(make_report("MHRA", on=marketed_tool, publish=False)) == set()


def test_an_authorisation_that_is_not_current_asks_nobody_there(
    network: Network, tool: Tool, make_report: Callable[..., Report]
) -> None:
    authorization_make(actor=network.hc.publisher, tool=tool, status="suspended")
    assert requested_codes(make_report("MHRA")) == {"FDA"}


def test_the_report_waits_in_the_inbox_until_complete(report: Report, callers: Callable[..., ApiCaller]) -> None:
    fda = callers("FDA", "assessor")
    assert str(report.pk) in inbox_reports(fda)
    assert str(report.pk) in inbox_reports(callers("HC", "viewer"))
    for code in ("MHRA", "TGA", "SMC"):
        assert str(report.pk) not in inbox_reports(callers(code, "viewer"))
    item = next(i for i in fda.get("/api/v1/inbox/").json()["results"] if i["id"] == str(report.pk))
    assert item["publisher"] == "MHRA"
    assert item["severity"] is None
    assert item["acknowledgement"]["deadline"] is None

    assert fda.put(ack_url(report), {"state": "received"}).status_code == 200
    assert fda.put(ack_url(report), {"state": "assessing", "comment": "With the AI devices team."}).status_code == 200
    assert str(report.pk) in inbox_reports(fda)  # not complete yet
    done = fda.put(ack_url(report), {"state": "action_taken", "comment": "Asked the manufacturer for a CAPA plan.",
                                     "decision": "adapt", "rationale": "Different screening ages in the US."})
    assert done.status_code == 200, done.json()
    body = done.json()
    assert (body["report"], body["member"], body["state"], body["decision"]) == (
        str(report.pk), "FDA", "action_taken", "adapt"
    )
    assert [h["state"] for h in body["history"]] == ["received", "assessing", "action_taken"]
    assert str(report.pk) not in inbox_reports(fda)
    assert str(report.pk) in inbox_reports(callers("HC", "viewer"))  # HC has not answered


def test_states_only_move_forward(report: Report, callers: Callable[..., ApiCaller]) -> None:
    hc = callers("HC", "assessor")
    assert hc.put(ack_url(report), {"state": "assessing"}).status_code == 200
    assert_problem(hc.put(ack_url(report), {"state": "received"}), 409)
    again = hc.put(ack_url(report), {"state": "assessing"})  # repeating the current state changes nothing
    assert again.status_code == 200
    assert len(again.json()["history"]) == 1
    assert hc.put(ack_url(report), {"state": "not_applicable"}).status_code == 200
    assert_problem(hc.put(ack_url(report), {"state": "action_taken", "comment": "Too late."}), 409)
    assert hc.get(ack_url(report)).json()["state"] == "not_applicable"


def test_action_taken_needs_a_comment(report: Report, callers: Callable[..., ApiCaller]) -> None:
    fda = callers("FDA", "assessor")
    before = row_counts()
    body = assert_problem(fda.put(ack_url(report), {"state": "action_taken", "comment": "  "}), 400)
    assert "comment" in body["errors"]
    assert row_counts() == before


def test_the_publisher_cannot_acknowledge_its_own_report(report: Report, callers: Callable[..., ApiCaller]) -> None:
    mhra = callers("MHRA", "assessor")
    before = row_counts()
    assert_problem(mhra.put(ack_url(report), {"state": "received"}), 409)
    assert row_counts() == before


def test_acknowledging_needs_the_acknowledge_scope(report: Report, callers: Callable[..., ApiCaller]) -> None:
    assert_problem(callers("FDA", "viewer").put(ack_url(report), {"state": "received"}), 403)


def test_an_invisible_report_cannot_be_acknowledged(
    marketed_tool: Tool, make_report: Callable[..., Report], callers: Callable[..., ApiCaller]
) -> None:
    restricted = make_report("FDA", on=marketed_tool, country="US", distribution="restricted", recipients=["HC"])
    draft = make_report("FDA", on=marketed_tool, country="US", publish=False)
    for target in (restricted, draft):
        assert_problem(callers("TGA", "assessor").put(ack_url(target), {"state": "received"}), 404)
        assert_problem(callers("TGA", "assessor").get(ack_url(target)), 404)


def test_reading_the_acknowledgement_before_answering(report: Report, callers: Callable[..., ApiCaller]) -> None:
    body: dict[str, Any] = callers("HC", "viewer").get(ack_url(report)).json()
    assert (body["member"], body["state"], body["requested"], body["deadline"], body["history"]) == (
        "HC", None, True, None, []
    )
    unasked = callers("SMC", "viewer").get(ack_url(report)).json()
    assert (unasked["member"], unasked["requested"]) == ("SMC", False)


def test_an_answer_is_an_event_for_the_publisher_only(report: Report, callers: Callable[..., ApiCaller]) -> None:
    from exchange.models import Event

    callers("FDA", "assessor").put(ack_url(report), {"state": "received"})
    event = Event.objects.get(type="acknowledgement.updated")
    assert set(event.audience.values_list("code", flat=True)) == {"MHRA"}
    assert event.payload["report"] == str(report.pk)
