"""Reliance reviews (SPEC §10.1, Appendix B): what opens one (an alert by the reference member, a change of
the reference authorisation), once per trigger; deadlines; the audience and its gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import RelianceReview
from exchange.models import AuditEntry, Event
from tests.alerts.factories import alert_amended_make, alert_payload, alert_published_make
from tests.alerts.reliance.conftest import REVIEWS, Reliance, decision_url, events_of, publish, reviews_of
from tests.factories import Network
from tests.helpers import assert_problem


def suspend_reference(network: Network, api, reliance: Reliance, status: str = "suspended") -> None:
    response = api(network.fda.publisher).patch(
        f"/api/v1/tools/{reliance.tool.pk}/authorizations/{reliance.fda.pk}/", {"status": status})
    assert response.status_code == 200, response.json()



# --- trigger 1: an alert by the reference member ----------------------------------------------------


def test_a_reference_members_alert_opens_one_review_per_relying_authorisation(network, api, reliance) -> None:
    before = timezone.now()
    alert = publish(network, reliance, severity="critical")

    listed = api(network.hc.viewer).get(REVIEWS).json()["results"]

    assert len(listed) == 1
    review = listed[0]
    assert review["authorization"] == {"id": str(reliance.hc.pk), "tool": str(reliance.tool.pk), "jurisdiction": "CA",
                                       "reference": "HC-REL-1", "status": "authorised"}
    assert (review["relying_member"], review["reference_member"]) == ("HC", "FDA")
    assert review["reference_authorization"] == {"id": str(reliance.fda.pk), "jurisdiction": "US",
                                                 "reference": "K250101", "status": "authorised"}
    assert review["trigger"] == {"kind": "alert", "alert": str(alert.pk), "revision": 1}
    assert (review["status"], review["outcome"], review["overdue"], review["decided_by"]) == ("open", None, False, None)
    row = RelianceReview.objects.get(pk=review["id"])
    assert before + timedelta(hours=24) <= row.deadline <= timezone.now() + timedelta(hours=24)
    assert [r.trigger_key for r in reviews_of(reliance.mhra)] == [f"alert:{alert.pk}:1"]
    # FDA, the reference, sees both reviews; TGA and SMC see none and learn nothing
    assert sorted(r["relying_member"] for r in api(network.fda.viewer).get(REVIEWS).json()["results"]) == ["HC", "MHRA"]
    assert api(network.tga.viewer).get(REVIEWS).json()["results"] == []
    assert_problem(api(network.tga.viewer).get(f"{REVIEWS}{review['id']}/"), 404)
    assert api(network.hc.viewer).get(f"{REVIEWS}{review['id']}/").json() == review


def test_the_review_events_go_to_the_relying_and_the_reference_member_only(network, reliance) -> None:
    publish(network, reliance, severity="high")

    opened = Event.objects.filter(type="reliance.review_opened").order_by("sequence")
    assert sorted(sorted(e.audience_rows.values_list("member__code", flat=True)) for e in opened) == [
        ["FDA", "HC"], ["FDA", "MHRA"],
    ]
    assert {e.audience_kind for e in opened} == {"members"}
    assert [e.payload["relying_member"] for e in events_of(network.hc.member, "reliance.review_opened")] == ["HC"]
    assert len(events_of(network.fda.member, "reliance.review_opened")) == 2
    assert events_of(network.tga.member, "reliance.review_opened") == []
    assert AuditEntry.objects.filter(action="reliance_review.opened").count() == 2


@pytest.mark.parametrize(("severity", "hours"), [("critical", 24), ("high", 48), ("medium", 72), ("low", 168)])
def test_the_deadline_follows_the_alerts_severity(network, reliance, severity: str, hours: int) -> None:
    before = timezone.now()
    publish(network, reliance, severity=severity)

    deadline = reviews_of(reliance.hc)[0].deadline
    assert before + timedelta(hours=hours) <= deadline <= timezone.now() + timedelta(hours=hours)


def test_the_setting_changes_the_deadlines(network, reliance, settings) -> None:
    settings.RELIANCE_REVIEW_HOURS = {**settings.RELIANCE_REVIEW_HOURS, "high": 6}
    before = timezone.now()
    publish(network, reliance, severity="high")

    assert reviews_of(reliance.hc)[0].deadline <= before + timedelta(hours=6, seconds=5)


def test_a_member_outside_the_audience_gets_no_review_and_the_publisher_sees_the_gap(network, api, reliance) -> None:
    fda = api(network.fda.publisher)
    draft = fda.post("/api/v1/alerts/", alert_payload(tools=[reliance.tool], distribution="restricted",
                                                      recipients=["HC"])).json()

    published = fda.post(f"/api/v1/alerts/{draft['id']}/publish/")

    assert published.status_code == 200
    assert published.json()["reliance_gaps"] == ["MHRA"]
    assert [r.relying_member.code for r in RelianceReview.objects.all()] == ["HC"]
    mhra = api(network.mhra.publisher)
    assert mhra.get(REVIEWS).json()["results"] == []
    assert events_of(network.mhra.member, "reliance.review_opened") == []
    assert [i["kind"] for i in mhra.get("/api/v1/inbox/").json()["results"]] == []
    # HC, in the audience, never sees the gap: it is the publisher's alone
    hc_view = api(network.hc.viewer).get(f"/api/v1/alerts/{draft['id']}/").json()
    assert "reliance_gaps" not in hc_view
    assert "MHRA" not in str(hc_view)


def test_widening_the_audience_by_amendment_reaches_the_member_it_left_out(network, api, reliance) -> None:
    fda = api(network.fda.publisher)
    draft = fda.post("/api/v1/alerts/", alert_payload(tools=[reliance.tool], distribution="restricted",
                                                      recipients=["HC"])).json()
    etag = fda.post(f"/api/v1/alerts/{draft['id']}/publish/")["ETag"]

    amended = fda.post(f"/api/v1/alerts/{draft['id']}/amend/", {
        "recipients": ["HC", "MHRA"], "change_summary": "MHRA relies on our authorisation.", "material": True,
    }, HTTP_IF_MATCH=etag)

    assert amended.status_code == 200, amended.json()
    assert amended.json()["reliance_gaps"] == []
    assert [r.trigger_key for r in reviews_of(reliance.mhra)] == [f"alert:{draft['id']}:2"]


def test_a_network_alert_has_no_gaps(network, api, reliance) -> None:
    fda = api(network.fda.publisher)
    draft = fda.post("/api/v1/alerts/", alert_payload(tools=[reliance.tool])).json()

    assert fda.post(f"/api/v1/alerts/{draft['id']}/publish/").json()["reliance_gaps"] == []


def test_a_material_amendment_opens_a_review_of_the_new_revision_and_a_minor_one_none(network, reliance) -> None:
    alert = publish(network, reliance)

    alert_amended_make(actor=network.fda.publisher, alert=alert, material=False)
    assert [r.alert_revision for r in reviews_of(reliance.hc)] == [1]

    alert_amended_make(actor=network.fda.publisher, alert=alert, material=True)
    assert [r.alert_revision for r in reviews_of(reliance.hc)] == [1, 3]


def test_another_members_alert_about_the_tool_opens_no_review(network, reliance) -> None:
    alert_published_make(actor=network.tga.publisher, tools=[reliance.tool])

    assert RelianceReview.objects.count() == 0


# --- trigger 2: a change of the reference authorisation ---------------------------------------------


def test_suspending_the_reference_opens_reviews_and_lapses_follows_reference_only(network, api, reliance) -> None:
    before = timezone.now()
    suspend_reference(network, api, reliance)

    hc_review, = reviews_of(reliance.hc)
    mhra_review, = reviews_of(reliance.mhra)
    assert (hc_review.trigger_kind, hc_review.trigger_from, hc_review.trigger_to) == (
        "authorisation_change", "authorised", "suspended")
    assert hc_review.deadline <= before + timedelta(hours=24, seconds=5)  # follows_reference: 24 h
    assert mhra_review.deadline >= before + timedelta(hours=72)  # independent_after_grant: `change`
    read = api(network.smc.viewer)
    listed = {a["jurisdiction"]: a for a in read.get(f"/api/v1/tools/{reliance.tool.pk}/authorizations/").json()["results"]}
    assert listed["CA"]["reference_lapsed"] is True
    assert listed["CA"]["status"] == "authorised"  # the service never changes another regulator's decision
    assert listed["CA"]["relies_on"]["status"] == "suspended"
    assert listed["GB"]["reference_lapsed"] is False
    trigger = api(network.hc.viewer).get(REVIEWS).json()["results"][0]["trigger"]
    assert trigger == {"kind": "authorisation_change", "from": "authorised", "to": "suspended"}

    api(network.hc.publisher).post(decision_url(hc_review), {"outcome": "maintain",
                                                              "rationale": "Our own post-market data suffices."})

    listed = {a["jurisdiction"]: a for a in read.get(f"/api/v1/tools/{reliance.tool.pk}/authorizations/").json()["results"]}
    assert listed["CA"]["reference_lapsed"] is False


def test_withdrawing_the_reference_opens_reviews(network, api, reliance) -> None:
    suspend_reference(network, api, reliance, "withdrawn")

    assert [(r.trigger_from, r.trigger_to) for r in reviews_of(reliance.hc)] == [("authorised", "withdrawn")]
    assert [(r.trigger_from, r.trigger_to) for r in reviews_of(reliance.mhra)] == [("authorised", "withdrawn")]


def test_each_change_is_its_own_trigger(network, api, reliance) -> None:
    suspend_reference(network, api, reliance, "suspended")
    suspend_reference(network, api, reliance, "authorised")

    assert [(r.trigger_from, r.trigger_to) for r in reviews_of(reliance.hc)] == [
        ("authorised", "suspended"), ("suspended", "authorised")]


def test_a_change_of_anything_else_opens_no_review(network, api, reliance) -> None:
    api(network.fda.publisher).patch(f"/api/v1/tools/{reliance.tool.pk}/authorizations/{reliance.fda.pk}/",
                                     {"reference": "K250101-A"})

    assert RelianceReview.objects.count() == 0


def test_a_change_of_the_references_versions_opens_reviews(network, api, reliance) -> None:
    response = api(network.fda.publisher).patch(
        f"/api/v1/tools/{reliance.tool.pk}/authorizations/{reliance.fda.pk}/", {"versions": ">=3.0"})

    assert response.status_code == 200, response.json()
    assert [r.trigger_kind for r in reviews_of(reliance.hc)] == ["authorisation_change"]
    assert [r.trigger_kind for r in reviews_of(reliance.mhra)] == ["authorisation_change"]
