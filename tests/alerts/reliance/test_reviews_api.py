"""Reliance reviews (SPEC §10.1, Appendix B) through the API: decisions, the list, overdue reminders, the
inbox, delivery like every event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Authorization, RelianceReview
from alerts.services.reliance import reliance_reviews_overdue_sweep
from exchange.models import AuditEntry, Event
from tests.alerts.reliance.conftest import REVIEWS, decision_url, publish, reviews_of
from tests.factories import user_make
from tests.helpers import assert_problem, row_counts

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
