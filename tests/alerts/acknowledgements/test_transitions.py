"""Answering an alert (SPEC §2 Acknowledgement, Appendix A): forward-only states, history, refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alerts.choices import ACK_STATE_RANK
from alerts.models import AcknowledgementEntry, Alert
from alerts.services.alerts import alert_close, alert_withdraw
from exchange.models import AuditEntry
from tests.alerts.acknowledgements.conftest import ack_row, ack_url, answer
from tests.alerts.factories import alert_draft_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem, row_counts

STATES = list(ACK_STATE_RANK)  # received, assessing, action_taken, not_applicable
ANSWERING = ("FDA", "HC", "TGA", "SMC")  # the audience of MHRA's alert, publisher excepted
COMMENT = "Field safety notice forwarded to every deploying hospital."

Callers = Callable[..., ApiCaller]


def _body(state: str, **extra: Any) -> dict[str, Any]:
    return {"state": state, "comment": COMMENT if state == "action_taken" else "", **extra}


def _history(alert: Alert, code: str) -> list[str]:
    return list(
        AcknowledgementEntry.objects.filter(acknowledgement__alert=alert, acknowledgement__member__code=code)
        .order_by("at", "id").values_list("state", flat=True)
    )


def test_a_first_answer_may_be_any_state(alert: Alert, callers: Callers) -> None:
    for code, state in zip(ANSWERING, STATES, strict=True):
        response = callers(code).put(ack_url(alert), _body(state))

        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["alert"], body["member"], body["revision"], body["state"]) == (str(alert.pk), code, 1, state)
        assert [(e["state"], e["by"]) for e in body["history"]] == [(state, f"assessor@{code.lower()}.test")]
        assert _history(alert, code) == [state]


@pytest.mark.parametrize("before", STATES)
def test_from_each_state_forward_is_allowed_and_backward_refused(network: Network, alert: Alert,
                                                                 callers: Callers, before: str) -> None:
    """Four members answer `before`, then each tries one of the four states: a later one (a skip too) is
    200 with one more history entry; the same one is 200 and changes nothing; an earlier one is 409."""
    for code in ANSWERING:
        answer(network[code].assessor, alert, before)
    for code, after in zip(ANSWERING, STATES, strict=True):
        caller = callers(code)
        current = caller.get(ack_url(alert)).json()
        counts = row_counts()

        response = caller.put(ack_url(alert), _body(after))

        if ACK_STATE_RANK[after] > ACK_STATE_RANK[before]:
            assert response.status_code == 200, (before, after, response.content)
            assert response.json()["state"] == after
            assert [e["state"] for e in response.json()["history"]] == [before, after]
            assert _history(alert, code) == [before, after]
            continue
        if after == before:  # a repeat: no history entry, no audit entry, no event
            assert response.status_code == 200, (before, after, response.content)
            assert response.json() == current
        else:
            body = assert_problem(response, 409, "conflict")
            assert "forward" in body["detail"]
            assert "state" in body["errors"]
        assert row_counts() == counts, (before, after)
        assert _history(alert, code) == [before]
        assert ack_row(alert, code).state == before  # type: ignore[union-attr]


def test_action_taken_needs_a_comment(network: Network, alert: Alert, callers: Callers) -> None:
    answer(network.fda.assessor, alert, "assessing")
    fda = callers("FDA")
    counts = row_counts()

    for comment in ("", "   "):
        response = fda.put(ack_url(alert), {"state": "action_taken", "comment": comment})
        body = assert_problem(response, 400, "validation-error")
        assert "comment" in body["errors"]
    response = fda.put(ack_url(alert), {"state": "action_taken"})
    assert_problem(response, 400, "validation-error")

    assert ack_row(alert, "FDA").state == "assessing"  # type: ignore[union-attr]
    assert row_counts() == counts


def test_the_comment_is_recorded_with_who_and_when(alert: Alert, callers: Callers) -> None:
    response = callers("FDA", "publisher").put(ack_url(alert), {"state": "action_taken", "comment": f"  {COMMENT} "})

    entry = response.json()["history"][0]
    assert entry["comment"] == COMMENT
    assert entry["by"] == "publisher@fda.test"
    assert entry["at"]
    assert entry["revision"] == 1


def test_decision_and_rationale_are_recorded(alert: Alert, callers: Callers) -> None:
    response = callers("FDA").put(ack_url(alert), _body(
        "action_taken", decision="adopt", rationale="  Same tool version deployed in 14 US health systems ",
    ))

    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "adopt"
    assert body["rationale"] == "Same tool version deployed in 14 US health systems"
    row = ack_row(alert, "FDA")
    assert row is not None
    assert (row.decision, row.rationale) == ("adopt", "Same tool version deployed in 14 US health systems")
    audit = AuditEntry.objects.filter(action="acknowledgement.updated", object_id=str(row.pk)).last()
    assert audit is not None
    assert audit.after["decision"] == "adopt"  # type: ignore[index]
    assert audit.member_code == "FDA"


def test_the_decision_may_change_without_a_new_state(network: Network, alert: Alert, callers: Callers) -> None:
    answer(network.fda.assessor, alert, "assessing", decision="adapt", rationale="Different firmware here.")

    response = callers("FDA").put(ack_url(alert), _body("assessing", decision="decline", rationale="Not marketed."))

    assert response.status_code == 200
    assert (response.json()["decision"], response.json()["rationale"]) == ("decline", "Not marketed.")
    # a changed decision is a change: one more entry, with the same state and the new decision
    history = response.json()["history"]
    assert [(e["state"], e["decision"], e["rationale"]) for e in history] == [
        ("assessing", "adapt", "Different firmware here."), ("assessing", "decline", "Not marketed.")
    ]


def test_an_unknown_state_or_decision_is_a_400(alert: Alert, callers: Callers) -> None:
    fda = callers("FDA")
    counts = row_counts()

    assert_problem(fda.put(ack_url(alert), {"state": "acknowledged"}), 400, "validation-error")
    assert_problem(fda.put(ack_url(alert), {"state": "received", "decision": "ignore"}), 400)
    assert_problem(fda.put(ack_url(alert), {}), 400)

    assert row_counts() == counts


def test_get_shows_a_blank_acknowledgement_before_the_first_answer(alert: Alert, callers: Callers) -> None:
    body = callers("FDA", "viewer").get(ack_url(alert)).json()

    assert body["state"] is None
    assert body["history"] == []
    assert body["requested"] is True
    assert body["deadline"] is not None
    assert body["member"] == "FDA"
    assert {"alert", "member", "revision", "state", "requested", "deadline", "overdue", "decision", "rationale",
            "history"} <= set(body)


# --- refusals ------------------------------------------------------------------------------------


def test_an_alert_the_member_cannot_see_is_a_404(publish: Callable[..., Alert], callers: Callers) -> None:
    restricted = publish(distribution="restricted", recipients=["FDA"], affected_jurisdictions=["GB", "CA"])
    hc = callers("HC")
    counts = row_counts()

    for method in ("get", "put"):
        response = getattr(hc, method)(ack_url(restricted), _body("received"))
        body = assert_problem(response, 404, "not-found")
        assert restricted.title not in body["detail"]
        assert restricted.reference not in response.content.decode()

    assert ack_row(restricted, "HC") is None
    assert row_counts() == counts


def test_another_members_draft_is_a_404(network: Network, tool: Any, callers: Callers) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool])

    assert_problem(callers("FDA").put(ack_url(draft), _body("received")), 404, "not-found")


def test_the_publisher_cannot_acknowledge_its_own_alert(alert: Alert, callers: Callers) -> None:
    mhra = callers("MHRA")
    counts = row_counts()

    body = assert_problem(mhra.put(ack_url(alert), _body("received")), 409, "conflict")

    assert "own" in body["detail"]
    assert row_counts() == counts


def test_a_withdrawn_alert_cannot_be_acknowledged(network: Network, alert: Alert, callers: Callers) -> None:
    alert_withdraw(actor=network.mhra.publisher, alert=alert, reason="Issued in error.")
    fda = callers("FDA")
    counts = row_counts()

    body = assert_problem(fda.put(ack_url(alert), _body("received")), 409, "conflict")

    assert "withdrawn" in body["detail"]
    assert row_counts() == counts


def test_a_closed_alert_may_still_be_acknowledged(network: Network, alert: Alert, callers: Callers) -> None:
    alert_close(actor=network.mhra.publisher, alert=alert, resolution="Fixed in 2.4.1.")

    assert callers("FDA").put(ack_url(alert), _body("not_applicable")).status_code == 200


@pytest.mark.parametrize("who", ["viewer-role", "token-without-acknowledge"])
def test_acknowledging_needs_the_acknowledge_scope(network: Network, api: Callers, alert: Alert, who: str) -> None:
    caller = api(network.fda.viewer) if who == "viewer-role" else api(network.fda.admin, scopes=["read", "publish"])
    counts = row_counts()

    body = assert_problem(caller.put(ack_url(alert), _body("received")), 403, "forbidden")

    assert "acknowledge" in body["detail"]
    assert row_counts() == counts
    assert caller.get(ack_url(alert)).status_code == 200  # reading needs only `read`


def test_without_credentials_it_is_a_401(alert: Alert, anon: ApiCaller) -> None:
    response = anon.put(ack_url(alert), _body("received"))

    assert_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
