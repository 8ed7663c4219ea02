"""The portal, second pass (issue #25), without a browser: the review step before publishing a
report, the earlier answer carried forward in one click, decisions that need a rationale, labels in
words in notifications, and the delivery log first on an endpoint's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.test import Client

from alerts.models import Acknowledgement, Report, Tool
from alerts.services.acknowledgements import acknowledgement_set
from alerts.services.reports import report_draft_create
from exchange.models import User
from exchange.services.endpoints import endpoint_create
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.factories import Network


def test_a_report_is_reviewed_before_it_is_published(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    publisher = network.mhra.publisher
    assert publisher.member is not None
    report = report_draft_create(actor=publisher, member=publisher.member, data={
        "tool": portal_tool.pk, "tool_version": "2.1", "period_start": date(2025, 1, 1),
        "period_end": date(2025, 6, 30), "setting": "Audit", "country": "GB", "sample_size": 100,
        "metrics": [{"metric": "sensitivity", "value": 0.8, "numerator": 80, "denominator": 100}],
    })
    client = page(publisher)
    detail = client.get(f"/reports/{report.pk}/").content.decode()
    assert f'href="/reports/{report.pk}/publish/"' in detail  # a link to the review, not a one-click publish

    review = client.get(f"/reports/{report.pk}/publish/")
    body = review.content.decode()
    assert review.status_code == 200
    assert "Publish this report?" in body
    assert "cannot change" in body
    assert "FDA" in body  # who receives it
    report.refresh_from_db()
    assert report.status == "draft"  # looking at the review publishes nothing

    assert client.post(f"/reports/{report.pk}/publish/").status_code == 302
    assert Report.objects.get(pk=report.pk).status == "published"
    assert client.get(f"/reports/{report.pk}/publish/").status_code == 302  # nothing left to review


def test_the_earlier_answer_carries_forward_from_the_portal(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool])
    acknowledgement_set(actor=network.fda.assessor, alert=alert, state="not_applicable", decision="decline",
                        rationale="Not marketed in the US")
    alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True)
    client = page(network.fda.assessor)
    inbox = " ".join(client.get("/").content.decode().split())
    assert "Amended to revision 2</strong> — you answered" in inbox
    assert "Revision 1: <strong>Not applicable</strong> · Decline — Not marketed in the US" in inbox

    assert client.post(f"/alerts/{alert.pk}/acknowledge/carry-forward/").status_code == 302
    ack = Acknowledgement.objects.get(alert=alert, member__code="FDA")
    assert (ack.revision, ack.state, ack.decision) == (2, "not_applicable", "decline")
    tracker = " ".join(page(network.mhra.publisher).get(f"/alerts/{alert.pk}/").content.decode().split())
    assert "Revision 1: <strong>Not applicable</strong> · Decline" in tracker


def test_adapt_without_a_rationale_is_refused_by_name(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool])
    response = page(network.fda.assessor).post(f"/alerts/{alert.pk}/acknowledge/",
                                               {"state": "assessing", "decision": "adapt"})
    assert response.status_code == 400
    assert "Say why: a rationale is required for &#x27;Adapt&#x27;." in response.content.decode()
    assert not Acknowledgement.objects.filter(alert=alert, member__code="FDA", state__isnull=False).exists()


def test_notifications_say_answers_in_words(network: Network, page: Callable[[User], Client],
                                            portal_tool: Tool) -> None:
    from exchange.services.subscriptions import subscription_create
    assert network.mhra.admin.member is not None
    subscription_create(actor=network.mhra.admin, member=network.mhra.admin.member, name="Answers",
                        event_types=["acknowledgement.updated"])
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool])
    acknowledgement_set(actor=network.fda.assessor, alert=alert, state="action_taken", comment="Done",
                        decision="adopt")
    from exchange.models import Event
    from exchange.services.fanout import event_fan_out
    for event in Event.objects.filter(type="acknowledgement.updated"):
        event_fan_out(event_id=str(event.pk))
    body = page(network.mhra.viewer).get("/notifications/").content.decode()
    assert f"FDA answered {alert.reference}: Action taken; decision: Adopt" in body
    assert "action_taken" not in body


def test_the_endpoint_page_shows_the_delivery_log_first(network: Network, page: Callable[[User], Client],
                                                         settings: object) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # type: ignore[attr-defined]
    assert network.mhra.admin.member is not None
    endpoint = endpoint_create(actor=network.mhra.admin, member=network.mhra.admin.member,
                               url="http://127.0.0.1:9/hook", description="Case system")
    body = page(network.mhra.admin).get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert body.index("Delivery log") < body.index("Re-send every failed delivery") < body.index("Settings")


def test_the_report_form_names_every_problem_at_once_on_its_row(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    client = page(network.mhra.publisher)
    form = {
        "tool": str(portal_tool.pk), "tool_version": "2.1", "period_start": "2026-01-01", "period_end": "2026-06-30",
        "setting": "", "country": "UK", "sample_size": "1000", "distribution": "network",
        "metric_0": "sensitivity", "numerator_0": "80", "denominator_0": "100",
        "metric_1": "specificity", "value_1": "1.7",
        "metric_2": "auroc",
    }
    response = client.post("/reports/new/", form)
    assert response.status_code == 400
    body = response.content.decode()
    summary = body[body.index('class="error-summary'):body.index("</ul>", body.index('class="error-summary'))]
    assert 'href="#id_setting">Care setting: required.' in summary
    assert 'href="#id_country">' in summary
    assert "GB" in summary
    assert 'href="#id_value_1">Value (2): 1.7 is outside 0–1 for Specificity.' in summary
    assert 'href="#id_value_2">Value (3): give the value' in summary
    assert "value_0" not in summary  # counts are enough for metric 1
    assert "This field is required." not in summary

    fixed = {**form, "setting": "Screening", "country": "GB", "value_1": "0.9", "value_2": "0.88"}
    assert client.post("/reports/new/", fixed).status_code == 302
    report = Report.objects.get(setting="Screening")
    assert report.metrics.get(metric="sensitivity").value == 0.8  # computed from 80/100, and shown


def test_list_filters_are_folded_in_words_with_tool_pickers(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    client = page(network.fda.viewer)
    reports = client.get("/reports/").content.decode()
    assert '<details class="filters">' in reports  # folded until used
    assert "Published from" in reports
    assert "---------" not in reports
    assert "is greater than or equal to" not in reports
    # A tool is picked by name through the server-side search (/pick/tools/), not from a <select> of every
    # registered tool (20,000 options at a network's scale); a chosen tool is shown by its name.
    assert 'name="tool" data-picker="tools"' in reports
    assert f'<option value="{portal_tool.pk}">' not in reports
    signals = client.get("/signals/").content.decode()
    assert 'name="tool" data-picker="tools"' in signals
    chosen = client.get(f"/reports/?tool={portal_tool.pk}").content.decode()
    assert portal_tool.name in chosen
    assert "---------" not in signals
    refused = client.get("/reports/?country=UK").content.decode()
    assert '<details class="filters" open>' in refused
    assert "use &#x27;GB&#x27;" in refused
