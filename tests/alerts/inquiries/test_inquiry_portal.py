"""The portal's information requests: ask from a subject's page, the thread, the lists, error summaries,
and nothing of an `addressees` request on any page of a third member."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from alerts.models import Alert, Inquiry, Tool
from exchange.models import User
from tests.alerts.inquiries.conftest import Callers, asked
from tests.factories import Network

Page = Callable[[User], Client]


def test_ask_from_an_alert_page_and_answer_from_the_inbox(network: Network, fda_alert: Alert, page: Page) -> None:
    hc, fda = page(network.hc.assessor), page(network.fda.assessor)
    alert_page = hc.get(f"/alerts/{fda_alert.pk}/").content.decode()
    assert f"/requests/new/?alert={fda_alert.pk}" in alert_page

    form = hc.get(f"/requests/new/?alert={fda_alert.pk}")
    assert form.status_code == 200
    assert 'value="FDA"' in form.content.decode()
    sent = hc.post("/requests/new/", {"subject_alert": str(fda_alert.pk), "to": ["FDA"],
                                      "question": "Which firmware builds?", "confidentiality": "addressees"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    inquiry = Inquiry.objects.get()

    inbox = fda.get("/").content.decode()
    assert "Which firmware builds?" in inbox
    assert f"/requests/{inquiry.pk}/" in inbox
    answered = fda.post(f"/requests/{inquiry.pk}/answer/", {"answer-text": "7.2.0 and 7.2.1."})
    assert answered.status_code == 302

    thread = hc.get(f"/requests/{inquiry.pk}/").content.decode()
    assert "7.2.0 and 7.2.1." in thread
    assert "Signed by FDA" in thread
    assert "verified" in thread
    closed = hc.post(f"/requests/{inquiry.pk}/close/", {"close-note": "Thank you."})
    assert closed.status_code == 302
    assert Inquiry.objects.get().status == "closed"


def test_every_form_has_an_error_summary(network: Network, fda_alert: Alert, page: Page, callers: Callers) -> None:
    hc, fda = page(network.hc.assessor), page(network.fda.assessor)
    past = (timezone.now().date() - timedelta(days=3)).isoformat()
    refused = hc.post("/requests/new/", {"subject_alert": str(fda_alert.pk), "to": [], "question": "",
                                         "due": past, "confidentiality": "addressees"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "There is a problem" in body
    assert "Choose at least one member to ask" in body
    assert "Enter your question" in body

    refused = hc.post("/requests/new/", {"subject_alert": str(fda_alert.pk), "to": ["FDA"], "question": "Q?",
                                         "due": past, "confidentiality": "addressees"})
    assert refused.status_code == 400
    assert "There is a problem" in refused.content.decode()
    assert "is in the past; choose today or a later date" in refused.content.decode()
    assert Inquiry.objects.count() == 0

    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"])
    for client, action, field in ((fda, "answer", "answer-text"), (fda, "message", "message-text"),
                                  (hc, "close", "close-note")):
        response = client.post(f"/requests/{request['id']}/{action}/", {field: ""})
        assert response.status_code == 400, action
        assert "There is a problem" in response.content.decode(), action


def test_lists_put_overdue_first(network: Network, fda_alert: Alert, page: Page, callers: Callers) -> None:
    later = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question="Due later")
    late = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question="Already late")
    Inquiry.objects.filter(pk=late["id"]).update(due=timezone.now().date() - timedelta(days=2))

    for client in (page(network.hc.viewer), page(network.fda.viewer)):
        listing = client.get("/requests/").content.decode()
        assert listing.index("Already late") < listing.index("Due later")
        assert "Overdue" in listing
    assert later["id"] != late["id"]


def test_a_third_member_sees_nothing_on_any_page(network: Network, fda_alert: Alert, tool: Tool, page: Page,
                                                 callers: Callers) -> None:
    secret = "Covert question about build 7.2.1"
    request = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question=secret)
    mhra = page(network.mhra.admin)

    for path in ("/", "/requests/", f"/alerts/{fda_alert.pk}/", f"/tools/{tool.pk}/", "/notifications/"):
        response = mhra.get(path)
        assert response.status_code == 200, path
        assert secret not in response.content.decode(), path
    assert mhra.get(f"/requests/{request['id']}/").status_code == 404
    assert mhra.post(f"/requests/{request['id']}/answer/", {"answer-text": "x"}).status_code == 404
    assert secret in page(network.fda.viewer).get(f"/alerts/{fda_alert.pk}/").content.decode()


def test_asking_about_a_hidden_subject_is_404(network: Network, tool: Tool, page: Page) -> None:
    from tests.alerts.factories import alert_published_make

    hidden = alert_published_make(actor=network.fda.publisher, tools=[tool], distribution="restricted",
                                  recipients=["MHRA"])
    hc = page(network.hc.assessor)
    assert hc.get(f"/requests/new/?alert={hidden.pk}").status_code == 404
    assert hc.post("/requests/new/", {"subject_alert": str(hidden.pk), "to": ["FDA"], "question": "?",
                                      "confidentiality": "addressees"}).status_code == 404
    assert hc.get("/requests/new/?alert=not-a-uuid").status_code == 404


def test_the_inbox_marks_our_overdue_answers(network: Network, fda_alert: Alert, page: Page, callers: Callers) -> None:
    late = asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question="Already late")
    Inquiry.objects.filter(pk=late["id"]).update(due=timezone.now().date() - timedelta(days=1))

    inbox = page(network.fda.viewer).get("/").content.decode()

    assert "Questions to answer" in inbox
    assert "Already late" in inbox
    assert "Overdue</strong>" in inbox


def test_a_subjects_page_asks_only_its_kind_of_subject_for_the_questions(
    network: Network, fda_alert: Alert, tool: Tool, page: Page, callers: Callers,
) -> None:
    """The questions on an alert's page or a tool's: the visibility rule of that kind of subject alone (the
    SQL of all four kinds, built on every such page, was most of its cost), with the same questions shown."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    asked(callers("HC"), {"alert": str(fda_alert.pk)}, ["FDA"], question="Open to the audience?",
          confidentiality="audience")
    asked(callers("HC"), {"tool": str(tool.pk)}, ["FDA"], question="Which sites run it?", confidentiality="audience")
    asked(callers("HC"), {"tool": str(tool.pk)}, ["FDA"], question="Only for FDA?")
    mhra = page(network.mhra.viewer)
    for path, shown, hidden, kinds_looked_up in (
        (f"/alerts/{fda_alert.pk}/", ["Open to the audience?"], [], {"alert"}),
        (f"/tools/{tool.pk}/", ["Which sites run it?"], ["Only for FDA?"], set()),  # every member's registry
    ):
        with CaptureQueriesContext(connection) as captured:
            body = mhra.get(path).content.decode()
        for question in shown:
            assert question in body, path
        for question in hidden:
            assert question not in body, path
        about = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "alerts_inquiry"."id"')]
        assert len(about) == 1, path
        looked_up = set(re.findall(r'EXISTS\(SELECT 1 AS "a" FROM "alerts_(alert|report|signal)"', about[0]))
        assert looked_up == kinds_looked_up, path
