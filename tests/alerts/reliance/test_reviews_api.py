"""Reliance reviews (SPEC §10.1, Appendix B): opened by each trigger, once; deadlines; decisions; audience."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Alert, Authorization, RelianceReview
from alerts.services.reliance import reliance_reviews_overdue_sweep
from exchange.models import AuditEntry, Event
from tests.alerts.factories import alert_amended_make, alert_payload, alert_published_make
from tests.alerts.reliance.conftest import Reliance, events_of
from tests.factories import Network, user_make
from tests.helpers import assert_problem, row_counts

REVIEWS = "/api/v1/reliance/reviews/"


def decision_url(review: RelianceReview | dict[str, Any]) -> str:
    review_id = review["id"] if isinstance(review, dict) else review.pk
    return f"{REVIEWS}{review_id}/decision/"


def publish(network: Network, reliance: Reliance, **overrides: Any) -> Alert:
    return alert_published_make(actor=network.fda.publisher, tools=[reliance.tool], **overrides)


def suspend_reference(network: Network, api, reliance: Reliance, status: str = "suspended") -> None:
    response = api(network.fda.publisher).patch(
        f"/api/v1/tools/{reliance.tool.pk}/authorizations/{reliance.fda.pk}/", {"status": status})
    assert response.status_code == 200, response.json()


def reviews_of(authorization: Authorization) -> list[RelianceReview]:
    return list(RelianceReview.objects.filter(authorization=authorization).order_by("opened_at"))


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


# --- decisions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "status"), [("suspend", "suspended"), ("revoke", "withdrawn"),
                                                 ("maintain", "authorised")])
def test_a_decision_changes_the_relying_authorisation_as_it_says(network, api, reliance, outcome, status) -> None:
    publish(network, reliance, severity="critical")
    review, = reviews_of(reliance.hc)

    response = api(network.hc.publisher).post(decision_url(review), {
        "outcome": outcome, "rationale": "FDA's finding applies to the same software in Canada."})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["decided_by"]) == ("decided", outcome, "publisher@hc.test")
    assert body["rationale"] == "FDA's finding applies to the same software in Canada."
    assert body["decided_at"] is not None
    assert body["authorization"]["status"] == status
    assert Authorization.objects.get(pk=reliance.hc.pk).status == status
    decided = Event.objects.get(type="reliance.review_decided")
    assert sorted(decided.audience_rows.values_list("member__code", flat=True)) == ["FDA", "HC"]
    assert decided.payload["outcome"] == outcome
    changed = Event.objects.filter(type="authorisation.changed", object_id=str(reliance.hc.pk))
    assert changed.count() == (2 if outcome != "maintain" else 1)  # recorded, then changed by the decision
    if outcome != "maintain":
        entry = AuditEntry.objects.filter(action="authorization.updated", object_id=str(reliance.hc.pk)).get()
        assert (entry.before, entry.after["status"], entry.member_code) == ({"status": "authorised"}, status, "HC")
    assert AuditEntry.objects.filter(action="reliance_review.decided", object_id=str(review.pk)).count() == 1


def test_vary_needs_versions_or_a_comment(network, api, reliance) -> None:
    publish(network, reliance)
    review, = reviews_of(reliance.hc)
    hc = api(network.hc.publisher)
    counts = row_counts()

    body = assert_problem(hc.post(decision_url(review), {"outcome": "vary", "rationale": "Narrower scope."}), 400)

    assert "versions" in body["errors"]
    assert row_counts() == counts
    response = hc.post(decision_url(review), {"outcome": "vary", "rationale": "Narrower scope.",
                                              "comment": "Limited to adult patients in Canada."})
    assert response.status_code == 200
    assert response.json()["comment"] == "Limited to adult patients in Canada."


@pytest.mark.parametrize("rationale", ["", "   "])
def test_a_decision_needs_a_rationale(network, api, reliance, rationale: str) -> None:
    publish(network, reliance)
    review, = reviews_of(reliance.hc)
    hc = api(network.hc.publisher)
    counts = row_counts()

    body = assert_problem(hc.post(decision_url(review), {"outcome": "suspend", "rationale": rationale}), 400)

    assert "rationale" in body["errors"]
    assert row_counts() == counts
    assert Authorization.objects.get(pk=reliance.hc.pk).status == "authorised"


def test_an_unknown_outcome_is_a_400_naming_it(network, api, reliance) -> None:
    publish(network, reliance)
    review, = reviews_of(reliance.hc)

    body = assert_problem(api(network.hc.publisher).post(decision_url(review), {"outcome": "ignore",
                                                                                  "rationale": "x"}), 400)
    assert "outcome" in body["errors"]


def test_a_review_is_decided_once(network, api, reliance) -> None:
    publish(network, reliance)
    review, = reviews_of(reliance.hc)
    hc = api(network.hc.publisher)
    hc.post(decision_url(review), {"outcome": "maintain", "rationale": "Not applicable to our market."})

    assert_problem(hc.post(decision_url(review), {"outcome": "suspend", "rationale": "Changed our mind."}), 409)
    assert Authorization.objects.get(pk=reliance.hc.pk).status == "authorised"


def test_only_the_relying_members_publishers_and_admins_decide(network, api, reliance) -> None:
    publish(network, reliance)
    review, = reviews_of(reliance.hc)
    decision = {"outcome": "suspend", "rationale": "Following FDA."}

    assert_problem(api(network.fda.publisher).post(decision_url(review), decision), 403)  # the reference member
    assert_problem(api(network.tga.admin).post(decision_url(review), decision), 404)  # nobody's business
    assert_problem(api(network.hc.assessor).post(decision_url(review), decision), 403)
    assert RelianceReview.objects.get(pk=review.pk).status == "open"
    assert api(network.hc.admin).post(decision_url(review), decision).status_code == 200


def test_reviews_are_listed_by_status(network, api, reliance) -> None:
    first = publish(network, reliance, title="first")
    publish(network, reliance, title="second")
    decided = RelianceReview.objects.get(authorization=reliance.hc, alert=first)
    hc = api(network.hc.publisher)
    hc.post(decision_url(decided), {"outcome": "maintain", "rationale": "Assessed: no change for Canada."})

    open_ids = [r["id"] for r in hc.get(REVIEWS, {"status": "open"}).json()["results"]]
    decided_ids = [r["id"] for r in hc.get(REVIEWS, {"status": "decided"}).json()["results"]]

    assert decided_ids == [str(decided.pk)]
    assert len(open_ids) == 1
    assert open_ids[0] != str(decided.pk)
    assert_problem(hc.get(REVIEWS, {"status": "pending"}), 400)


# --- overdue ------------------------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_an_open_review_is_overdue_after_its_deadline_and_reminded_once(
    network, api, reliance, eager_tasks, django_capture_on_commit_callbacks,
) -> None:
    user_make(member=network.hc.member, role="admin", email="lead@hc.test")
    publish(network, reliance, severity="critical")
    review, = reviews_of(reliance.hc)
    RelianceReview.objects.filter(pk=review.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        reminded = reliance_reviews_overdue_sweep()

    assert reminded == 1  # MHRA's review is not due yet
    assert api(network.hc.viewer).get(REVIEWS).json()["results"][0]["overdue"] is True
    assert sorted(address for message in mail.outbox for address in message.to) == ["admin@hc.test", "lead@hc.test"]
    assert "CardioRhythm AI" in mail.outbox[0].subject
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reliance_reviews_overdue_sweep() == 0
    assert mail.outbox == []
    api(network.hc.publisher).post(decision_url(review), {"outcome": "maintain", "rationale": "Late but assessed."})
    assert api(network.hc.viewer).get(REVIEWS).json()["results"][0]["overdue"] is False


def test_the_periodic_acknowledgement_sweep_also_sweeps_reviews(network, reliance) -> None:
    from alerts.tasks import acknowledgements_overdue_sweep

    publish(network, reliance, severity="low")
    RelianceReview.objects.update(deadline=timezone.now() - timedelta(minutes=1))

    assert acknowledgements_overdue_sweep.run() >= 2
    assert RelianceReview.objects.filter(overdue_notified_at__isnull=True).count() == 0


# --- the inbox ----------------------------------------------------------------------------------------


def test_open_reviews_head_the_inbox_most_urgent_first(network, api, reliance) -> None:
    publish(network, reliance, severity="low", title="low one", affected_jurisdictions=["CA"])
    publish(network, reliance, severity="critical", title="critical one", affected_jurisdictions=["CA"])

    items = api(network.hc.viewer).get("/api/v1/inbox/").json()["results"]

    kinds = [item["kind"] for item in items]
    assert kinds[:2] == ["reliance_review", "reliance_review"]
    assert "alert" in kinds[2:]
    assert [item["severity"] for item in items[:2]] == ["critical", "low"]
    assert items[0]["review"]["relying_member"] == "HC"
    assert all(item["kind"] != "reliance_review" for item in api(network.tga.viewer).get("/api/v1/inbox/").json()["results"])


# --- delivery like every event ----------------------------------------------------------------------


def test_review_events_reach_subscriptions_of_their_audience_only(network, reliance) -> None:
    from exchange.models import Notification
    from exchange.services.fanout import event_fan_out
    from exchange.services.subscriptions import subscription_create

    for regulator in (network.hc, network.tga):
        subscription_create(actor=regulator.admin, member=regulator.member, name="Reliance",
                            event_types=["reliance.review_opened", "authorisation.changed"])
    publish(network, reliance, severity="critical")
    for event in Event.objects.filter(type="reliance.review_opened"):
        event_fan_out(event_id=event.pk)

    hc = Notification.objects.filter(member=network.hc.member, event__type="reliance.review_opened")
    assert [n.event.payload["relying_member"] for n in hc] == ["HC"]
    assert not Notification.objects.filter(member=network.tga.member, event__type="reliance.review_opened").exists()


def test_the_review_list_queries_do_not_grow_with_the_page_size(network, api, reliance) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(3):
        publish(network, reliance, title=f"alert {number}")
    fda = api(network.fda.viewer)
    assert len(fda.get(REVIEWS).json()["results"]) == 6

    with CaptureQueriesContext(connection) as small:
        assert len(fda.get(REVIEWS, {"limit": 2}).json()["results"]) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(fda.get(REVIEWS, {"limit": 6}).json()["results"]) == 6

    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
