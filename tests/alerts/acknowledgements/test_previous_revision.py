"""A material amendment asks again, and the member's answer to the earlier revision stays readable:
`previous`, and history entries naming their revision, decision and rationale (SPEC §2, Appendix A).
A reliance decision to adapt or decline needs a rationale."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import Alert
from alerts.services.acknowledgements import acknowledgement_carry_forward
from exchange.errors import Conflict
from tests.alerts.acknowledgements.conftest import ack_url, acks_url, answer
from tests.alerts.factories import alert_amended_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts

Callers = Callable[..., ApiCaller]


def test_the_answer_to_the_earlier_revision_stays_readable_after_a_material_amendment(
    network: Network, alert: Alert, callers: Callers
) -> None:
    fda = callers("FDA")
    assert fda.put(ack_url(alert), {"state": "action_taken", "comment": "Notice sent to 14 systems",
                                    "decision": "adapt", "rationale": "Older firmware in the US"}).status_code == 200
    before = fda.get(ack_url(alert)).json()
    assert before["previous"] is None

    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True,
                       recommended_actions="Stop using versions below 2.4 at once.")

    body = fda.get(ack_url(alert)).json()
    assert (body["revision"], body["state"], body["decision"], body["rationale"]) == (2, None, None, "")
    previous = body["previous"]
    assert {k: previous[k] for k in ("revision", "state", "decision", "rationale")} == {
        "revision": 1, "state": "action_taken", "decision": "adapt", "rationale": "Older firmware in the US"
    }
    assert previous["at"]
    assert [(e["revision"], e["state"], e["decision"], e["rationale"]) for e in body["history"]] == [
        (1, "action_taken", "adapt", "Older firmware in the US")
    ]
    # the publisher's tracker shows it too
    [fda_row] = [row for row in callers("MHRA", "publisher").get(acks_url(alert)).json()["results"]
                 if row["member"] == "FDA"]
    assert fda_row["previous"]["decision"] == "adapt"
    assert fda_row["state"] is None
    # and the inbox card of the re-requested acknowledgement
    [item] = fda.get("/api/v1/inbox/").json()["results"]
    assert item["acknowledgement"]["previous"]["revision"] == 1


def test_previous_is_the_last_answer_to_an_earlier_revision(network: Network, alert: Alert,
                                                            callers: Callers) -> None:
    answer(network.fda.assessor, alert, "received")
    answer(network.fda.assessor, alert, "assessing", decision="adopt")
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)
    answer(network.fda.assessor, alert, "not_applicable", decision="decline", rationale="Withdrawn from the US market")
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)

    body = callers("FDA").get(ack_url(alert)).json()
    assert body["revision"] == 3
    assert (body["previous"]["revision"], body["previous"]["state"], body["previous"]["decision"]) == (
        2, "not_applicable", "decline"
    )
    assert [(e["revision"], e["state"], e["decision"]) for e in body["history"]] == [
        (1, "received", None), (1, "assessing", "adopt"), (2, "not_applicable", "decline")
    ]


def test_an_earlier_decision_is_carried_forward_in_one_step(network: Network, alert: Alert,
                                                           callers: Callers) -> None:
    answer(network.fda.assessor, alert, "action_taken", comment="Letters sent.", decision="adapt",
           rationale="Older firmware in the US")
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)

    ack = acknowledgement_carry_forward(actor=network.fda.assessor, alert=alert)

    assert (ack.revision, ack.state, ack.decision, ack.rationale) == (
        2, "action_taken", "adapt", "Older firmware in the US"
    )
    body = callers("FDA").get(ack_url(alert)).json()
    assert body["history"][-1]["comment"] == "Carried forward from revision 1. Letters sent."
    assert body["history"][-1]["revision"] == 2


def test_nothing_to_carry_forward_before_an_amendment(network: Network, alert: Alert) -> None:
    with pytest.raises(Conflict):
        acknowledgement_carry_forward(actor=network.fda.assessor, alert=alert)


@pytest.mark.parametrize("decision", ["adapt", "decline"])
def test_adapt_and_decline_need_a_rationale(alert: Alert, callers: Callers, decision: str) -> None:
    fda = callers("FDA")
    fda.get(ack_url(alert))  # the caller's token exists before counting
    counts = row_counts()
    for rationale in ({}, {"rationale": ""}, {"rationale": "   "}):
        response = fda.put(ack_url(alert), {"state": "assessing", "decision": decision, **rationale})
        body = assert_problem(response, 400, "validation-error")
        assert "rationale" in body["errors"]
    assert row_counts() == counts


def test_every_problem_of_an_answer_is_named_at_once(alert: Alert, callers: Callers) -> None:
    response = callers("FDA").put(ack_url(alert), {"state": "action_taken", "decision": "decline"})
    body = assert_problem(response, 400, "validation-error")
    assert set(body["errors"]) == {"comment", "rationale"}


def test_adopt_needs_no_rationale(alert: Alert, callers: Callers) -> None:
    response = callers("FDA").put(ack_url(alert), {"state": "assessing", "decision": "adopt"})
    assert response.status_code == 200
    assert response.json()["history"][0]["decision"] == "adopt"
