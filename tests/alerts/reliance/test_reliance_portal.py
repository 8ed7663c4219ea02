"""The portal's Reliance page, the inbox head, the tool page's routes and the publish step's gaps."""

from __future__ import annotations

import pytest
from django.test import Client

from alerts.models import Authorization, RelianceReview
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.alerts.reliance.conftest import Reliance
from tests.factories import Network


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_reliance_page_shows_ours_our_reviews_and_who_relies_on_us(network: Network, reliance: Reliance) -> None:
    alert = alert_published_make(actor=network.fda.publisher, tools=[reliance.tool], severity="critical")

    hc_page = signed_in(network.hc.publisher).get("/reliance/").content.decode()
    fda_page = signed_in(network.fda.viewer).get("/reliance/").content.decode()

    assert "HC-REL-1" in hc_page
    assert "K250101" in hc_page  # the reference, with its current status
    assert alert.reference in hc_page  # the trigger
    assert "Record the decision" in hc_page
    assert "Who relies on FDA" in fda_page
    assert "HC-REL-1" in fda_page
    assert "MHRA-REL-1" in fda_page
    assert "Record the decision" not in fda_page


def test_a_decision_without_rationale_shows_the_error_summary_and_changes_nothing(network, reliance) -> None:
    alert_published_make(actor=network.fda.publisher, tools=[reliance.tool])
    review = RelianceReview.objects.get(authorization=reliance.hc)

    response = signed_in(network.hc.publisher).post(f"/reliance/reviews/{review.pk}/decide/",
                                                    {"outcome": "suspend", "rationale": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'href="#review-{review.pk}-rationale"' in page
    assert RelianceReview.objects.get(pk=review.pk).status == "open"


def test_a_decision_in_the_portal_suspends_and_the_tool_page_shows_it(network, reliance) -> None:
    alert_published_make(actor=network.fda.publisher, tools=[reliance.tool])
    review = RelianceReview.objects.get(authorization=reliance.hc)
    hc = signed_in(network.hc.publisher)

    response = hc.post(f"/reliance/reviews/{review.pk}/decide/", {"outcome": "suspend",
                                                                   "rationale": "Following FDA's finding."})

    assert response.status_code == 302
    assert Authorization.objects.get(pk=reliance.hc.pk).status == "suspended"
    tool_page = hc.get(f"/tools/{reliance.tool.pk}/").content.decode()
    assert "By reliance on FDA" in tool_page


def test_others_cannot_decide_and_viewers_get_no_form(network, reliance) -> None:
    alert_published_make(actor=network.fda.publisher, tools=[reliance.tool])
    review = RelianceReview.objects.get(authorization=reliance.hc)

    assert signed_in(network.tga.publisher).post(f"/reliance/reviews/{review.pk}/decide/", {
        "outcome": "suspend", "rationale": "x"}).status_code == 404
    assert signed_in(network.hc.viewer).post(f"/reliance/reviews/{review.pk}/decide/", {
        "outcome": "suspend", "rationale": "x"}).status_code == 403
    assert "Record the decision" not in signed_in(network.hc.viewer).get("/reliance/").content.decode()


def test_the_inbox_shows_open_reviews_first(network, reliance) -> None:
    alert_published_make(actor=network.fda.publisher, tools=[reliance.tool], affected_jurisdictions=["CA"],
                         title="Arrhythmia misclassification")

    page = signed_in(network.hc.viewer).get("/").content.decode()

    assert page.index("Reliance reviews") < page.index("Needs your action")
    assert "review your authorisation HC-REL-1" in page


@pytest.mark.parametrize(("recipients", "shown"), [(["HC"], True), (["HC", "MHRA"], False)])
def test_the_publish_step_shows_the_reliance_gaps(network, reliance, recipients, shown: bool) -> None:
    draft = alert_draft_make(actor=network.fda.publisher, tools=[reliance.tool], distribution="restricted",
                             recipients=recipients)

    page = signed_in(network.fda.publisher).get(f"/alerts/{draft.pk}/publish/").content.decode()

    assert ("reliance-gaps" in page) is shown
    if shown:
        assert "MHRA authorised an affected tool by reliance on yours" in page
