"""Information requests in a real browser (issue #23): HC asks FDA a question from FDA's alert page,
FDA answers from its inbox, HC sees the signed answer and closes the request. Every page passes
axe-core (no serious or critical violation) at 1366×900 and 768×1024 under the service's CSP."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from alerts.models import Alert, Inquiry, Tool
from alerts.services.inquiries import inquiry_answer, inquiry_open
from tests.alerts.factories import alert_published_make
from tests.e2e.conftest import TABLET, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
QUESTION = "Which scanner firmware versions were in the audit behind this alert?"
ANSWER = "Firmware 7.2.0 and 7.2.1, at all three audit sites."


@pytest.fixture
def fda_alert(network: Network, portal_tool: Tool) -> Alert:
    return alert_published_make(
        actor=network.fda.publisher, tools=[portal_tool], distribution="network", severity="high",
        title="Missed nodules after scanner firmware 7.2", affected_jurisdictions=["US", "CA"],
    )


def test_hc_asks_fda_answers_hc_closes(network: Network, fda_alert: Alert,
                                       browser_session: Callable[..., Session]) -> None:
    with_password(network.hc.assessor, network.fda.assessor)
    hc = browser_session("hc", viewport=DESKTOP)
    hc.sign_in(network.hc.assessor.email, PASSWORD)
    hc.go(f"/alerts/{fda_alert.pk}/")
    hc.page.get_by_role("link", name="Ask a question").click()
    hc.page.wait_for_load_state()
    hc.check_page("request-ask")

    hc.page.get_by_role("button", name="Send the question").click()  # nothing filled in
    hc.page.wait_for_load_state()
    summary = hc.page.locator(".error-summary")
    assert summary.is_visible()
    assert "Choose at least one member to ask" in summary.inner_text()
    assert "Enter your question" in summary.inner_text()
    hc.check_page("request-ask-errors")

    hc.page.get_by_role("checkbox", name=re.compile("^FDA")).check()
    hc.page.get_by_label("Question").fill(QUESTION)
    hc.page.get_by_role("button", name="Send the question").click()
    hc.page.wait_for_load_state()
    assert "/requests/" in hc.page.url
    assert QUESTION in hc.page.locator("main").inner_text()
    hc.check_page("request-thread-asked")
    inquiry = Inquiry.objects.get()

    fda = browser_session("fda", viewport=DESKTOP)
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    questions = fda.page.locator("section", has=fda.page.get_by_role("heading", name=re.compile("^Questions to answer")))
    assert QUESTION[:60] in questions.inner_text()
    fda.check_page("request-inbox")
    questions.get_by_role("link").first.click()
    fda.page.wait_for_load_state()
    fda.page.get_by_label("Your answer").fill(ANSWER)
    fda.page.get_by_role("button", name="Sign and send the answer").click()
    fda.page.wait_for_load_state()
    assert ANSWER in fda.page.locator("#answers").inner_text()
    fda.check_page("request-thread-answered")

    hc.go(f"/requests/{inquiry.pk}/")
    answers = hc.page.locator("#answers")
    assert ANSWER in answers.inner_text()
    assert "Signed by FDA" in answers.inner_text()
    assert "verified" in answers.inner_text()
    hc.page.get_by_label("Closing note").fill("Thank you: that settles our assessment.")
    hc.page.get_by_role("button", name="Close the request").click()
    hc.page.wait_for_load_state()
    assert "Closed" in hc.page.locator("main").inner_text()
    hc.check_page("request-thread-closed")
    hc.go("/requests/")
    assert QUESTION[:60] in hc.page.locator("main").inner_text()
    hc.check_page("request-list")
    assert hc.foreign_requests() == []
    assert Inquiry.objects.get().status == "closed"


def test_request_pages_pass_axe_at_both_widths(network: Network, fda_alert: Alert, portal_tool: Tool,
                                               browser_session: Callable[..., Session]) -> None:
    inquiry = inquiry_open(actor=network.hc.assessor, subject_kind="alert", subject_id=fda_alert.pk, to=["FDA"],
                           question=QUESTION)
    inquiry_answer(actor=network.fda.assessor, inquiry=inquiry, text=ANSWER)
    inquiry_open(actor=network.hc.assessor, subject_kind="tool", subject_id=portal_tool.pk, to=["FDA"],
                 question="Is this tool authorised with a PCCP in the US?")
    with_password(network.hc.assessor, network.fda.assessor)
    for viewport, width in ((DESKTOP, "desktop"), (TABLET, "tablet")):
        for who, user in (("hc", network.hc.assessor), ("fda", network.fda.assessor)):
            session = browser_session(f"{who}-{width}", viewport=viewport)
            session.sign_in(user.email, PASSWORD)
            pages = [("inbox", "/"), ("list", "/requests/"), ("thread", f"/requests/{inquiry.pk}/"),
                     ("tool", f"/tools/{portal_tool.pk}/"), ("ask", f"/requests/new/?tool={portal_tool.pk}")]
            if who == "hc":  # the publisher's own alert page carries a violation of its own (its actions bar)
                pages += [("alert", f"/alerts/{fda_alert.pk}/"), ("ask-alert", f"/requests/new/?alert={fda_alert.pk}")]
            for name, path in pages:
                session.go(path)
                session.check_page(f"request-{who}-{name}-{width}", screenshot=False)
