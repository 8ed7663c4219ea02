"""Who is asked to acknowledge, by when, and again after a material amendment (SPEC §2 Acknowledgement)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from alerts.models import Acknowledgement, AcknowledgementEntry, Alert, Tool
from alerts.services.alerts import alert_publish
from exchange.models import Member
from exchange.services.members import member_update
from exchange.services.subscriptions import subscription_create
from tests.alerts.acknowledgements.conftest import ack_row, ack_url, acks_url, answer
from tests.alerts.factories import alert_amended_make, alert_draft_make
from tests.factories import Network
from tests.helpers import ApiCaller

Callers = Callable[..., ApiCaller]


def requested_codes(alert: Alert) -> set[str]:
    return set(
        Acknowledgement.objects.filter(alert=alert, requested=True).values_list("member__code", flat=True)
    )


def subscribe(member: Member, **filters: Any) -> None:
    subscription_create(actor=None, member=member, name=f"{member.code} watch", **filters)


# --- the requested set --------------------------------------------------------------------------


def test_members_in_an_affected_jurisdiction_are_asked(publish: Callable[..., Alert]) -> None:
    alert = publish(affected_jurisdictions=["GB", "US", "AU"])

    assert requested_codes(alert) == {"FDA", "TGA"}  # GB is the publisher's own: it is not asked


def test_members_with_a_matching_subscription_are_asked(network: Network, publish: Callable[..., Alert]) -> None:
    subscribe(network.hc.member, event_types=["alert.published"], min_severity="high")
    subscribe(network.smc.member, alert_types=["recall"])  # does not match a performance_degradation alert
    subscribe(network.tga.member, active=False)  # paused: matches nothing

    alert = publish(affected_jurisdictions=["GB", "US"])

    assert requested_codes(alert) == {"FDA", "HC"}


def test_a_subscription_to_tools_authorised_in_the_members_country(network: Network, tool: Tool,
                                                                   publish: Callable[..., Alert]) -> None:
    # `tool` is authorised in GB and US only: TGA's subscription does not match, FDA's would.
    subscribe(network.tga.member, authorised_in_my_jurisdiction=True)
    subscribe(network.smc.member, tools=[str(tool.pk)], min_severity="critical")

    high = publish(affected_jurisdictions=["GB"])
    critical = publish(affected_jurisdictions=["GB"], severity="critical")

    assert requested_codes(high) == set()
    assert requested_codes(critical) == {"SMC"}


def test_other_audience_members_are_not_asked_but_may_answer(network: Network, alert: Alert,
                                                             callers: Callers) -> None:
    assert ack_row(alert, "HC") is None
    hc = callers("HC")

    blank = hc.get(ack_url(alert)).json()
    answered = hc.put(ack_url(alert), {"state": "not_applicable", "comment": "Not marketed in Canada."})

    assert (blank["requested"], blank["deadline"], blank["state"]) == (False, None, None)
    assert answered.status_code == 200
    assert (answered.json()["requested"], answered.json()["state"]) == (False, "not_applicable")
    assert answered.json()["deadline"] is None
    assert hc.get("/api/v1/inbox/").json()["results"] == []
    rows = {row["member"]: row for row in callers("MHRA", "publisher").get(acks_url(alert)).json()["results"]}
    assert set(rows) == {"FDA", "HC", "TGA", "SMC"}  # one entry per audience member, publisher excepted
    assert rows["HC"]["state"] == "not_applicable"
    assert rows["TGA"]["state"] is None


def test_a_restricted_alert_asks_only_its_recipients(network: Network, publish: Callable[..., Alert],
                                                     callers: Callers) -> None:
    subscribe(network.smc.member)  # matches everything it may see
    alert = publish(distribution="restricted", recipients=["FDA"], affected_jurisdictions=["GB", "US", "CA", "CH"])

    assert requested_codes(alert) == {"FDA"}
    assert not Acknowledgement.objects.filter(alert=alert, member__code__in=["HC", "SMC", "TGA"]).exists()
    rows = callers("MHRA", "publisher").get(acks_url(alert)).json()["results"]
    assert [row["member"] for row in rows] == ["FDA"]


def test_a_suspended_member_is_not_asked(network: Network, publish: Callable[..., Alert]) -> None:
    member_update(actor=network.staff, member=network.hc.member, status="suspended")

    alert = publish(affected_jurisdictions=["GB", "US", "CA"])

    assert requested_codes(alert) == {"FDA"}


def test_requests_exist_when_publish_returns(network: Network, tool: Tool, callers: Callers,
                                             django_capture_on_commit_callbacks: Any) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool], affected_jurisdictions=["GB", "US"])
    mhra, fda = callers("MHRA", "publisher"), callers("FDA")

    with django_capture_on_commit_callbacks(execute=False):  # nothing deferred may be needed for the inbox
        published = mhra.post(f"/api/v1/alerts/{draft.pk}/publish/")
        inbox = fda.get("/api/v1/inbox/").json()["results"]

    assert published.status_code == 200
    assert [item["id"] for item in inbox] == [str(draft.pk)]
    assert inbox[0]["acknowledgement"]["requested"] is True


def test_requests_roll_back_with_the_publication(network: Network, tool: Tool) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool], affected_jurisdictions=["GB", "US"])

    seen_inside: set[str] = set()

    def publish_then_fail() -> None:
        with transaction.atomic():
            alert_publish(actor=network.mhra.publisher, alert=draft)
            seen_inside.update(requested_codes(draft))
            raise RuntimeError("the publishing transaction fails after the requests were written")

    with pytest.raises(RuntimeError):
        publish_then_fail()

    assert seen_inside == {"FDA"}
    assert not Acknowledgement.objects.filter(alert=draft).exists()


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("severity", "hours"), [("critical", 24), ("high", 72), ("medium", 168), ("low", None)])
def test_the_deadline_follows_the_severity(publish: Callable[..., Alert], severity: str, hours: int | None) -> None:
    alert = publish(severity=severity)

    ack = ack_row(alert, "FDA")
    assert ack is not None
    assert ack.requested_at is not None
    assert alert.published_at is not None
    assert alert.published_at <= ack.requested_at < alert.published_at + timedelta(seconds=5)
    if hours is None:
        assert ack.deadline is None
    else:
        assert ack.deadline == ack.requested_at + timedelta(hours=hours)


@override_settings(ACK_DEADLINE_HOURS={"critical": 2, "high": 5, "medium": None, "low": 300})
@pytest.mark.parametrize(("severity", "hours"), [("critical", 2), ("high", 5), ("medium", None), ("low", 300)])
def test_the_deadlines_come_from_the_setting(publish: Callable[..., Alert], severity: str, hours: int | None) -> None:
    ack = ack_row(publish(severity=severity), "FDA")

    assert ack is not None
    assert ack.requested_at is not None
    expected = None if hours is None else ack.requested_at + timedelta(hours=hours)
    assert ack.deadline == expected


def test_the_deadline_is_shown_to_the_member(alert: Alert, callers: Callers) -> None:
    ack = ack_row(alert, "FDA")
    body = callers("FDA").get(ack_url(alert)).json()

    assert ack is not None
    assert ack.deadline is not None
    assert body["deadline"].replace("Z", "+00:00") == ack.deadline.isoformat()
    assert body["overdue"] is False


# --- amendments ---------------------------------------------------------------------------------


def test_a_material_amendment_asks_again_for_the_new_revision(network: Network, alert: Alert,
                                                              callers: Callers) -> None:
    answer(network.fda.assessor, alert, "action_taken", decision="adopt", rationale="Same version here.")
    first = ack_row(alert, "FDA")
    assert first is not None
    assert first.deadline is not None

    amended = alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True,
                                 recommended_actions="Stop using versions below 2.4 at once.")

    ack = ack_row(alert, "FDA")
    assert ack is not None
    assert (ack.revision, ack.state, ack.requested, ack.decision, ack.rationale) == (2, None, True, None, "")
    assert ack.requested_at is not None
    assert first.requested_at is not None
    assert ack.requested_at > first.requested_at
    assert ack.deadline is not None
    assert ack.deadline > first.deadline
    assert ack.acknowledged_at is None
    assert ack.completed_at is None
    history = list(AcknowledgementEntry.objects.filter(acknowledgement=ack).values_list("revision", "state"))
    assert history == [(1, "action_taken")]  # the answer to revision 1 stays in the history
    inbox = callers("FDA").get("/api/v1/inbox/").json()["results"]
    assert [(item["id"], item["acknowledgement"]["revision"]) for item in inbox] == [(str(amended.pk), 2)]

    again = callers("FDA").put(ack_url(alert), {"state": "received"})  # not "backwards": a new revision

    assert again.status_code == 200
    assert [(e["revision"], e["state"]) for e in again.json()["history"]] == [(1, "action_taken"), (2, "received")]


def test_a_material_amendment_asks_newly_affected_jurisdictions(network: Network, alert: Alert) -> None:
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True,
                       affected_jurisdictions=["GB", "US", "CA"])

    assert requested_codes(alert) == {"FDA", "HC"}
    assert {a.member.code: a.revision for a in Acknowledgement.objects.filter(alert=alert)} == {"FDA": 2, "HC": 2}


def test_a_non_material_amendment_asks_nothing_again(network: Network, alert: Alert, callers: Callers) -> None:
    answer(network.fda.assessor, alert, "not_applicable")
    before = ack_row(alert, "FDA")

    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=False,
                       summary="Typo corrected.", affected_jurisdictions=["GB", "US", "CA"])

    after = ack_row(alert, "FDA")
    assert before is not None
    assert after is not None
    assert (after.revision, after.state, after.requested_at, after.deadline) == (
        1, "not_applicable", before.requested_at, before.deadline,
    )
    assert ack_row(alert, "HC") is None
    assert callers("FDA").get("/api/v1/inbox/").json()["results"] == []
