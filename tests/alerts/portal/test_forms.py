"""The portal's forms call the same serializers and services as the API: the same rules, the same
messages, the same audit entries and events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alerts.models import Acknowledgement, Alert, AlertRevision, Report, Tool
from exchange.models import Event, User
from tests.factories import Network
from tests.helpers import ApiCaller

pytestmark = pytest.mark.django_db


def _alert_form(tool: Tool, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Bias in triage scores for older patients",
        "summary": "Scores under-estimate risk for patients over 80.",
        "description": "", "alert_type": "bias_or_inequity", "severity": "high",
        "affected_jurisdictions": "GB, us", "hazard": "", "harm": "", "recommended_actions": "Review scores.",
        "imdrf_codes": "A0901", "publisher_reference": "MHRA-2026-1", "distribution": "restricted",
        "recipients": ["FDA", "HC"], "tool_0": str(tool.pk), "versions_0": ">=3.0", "tool_1": "", "versions_1": "",
        "tool_2": "", "versions_2": "",
    }
    data.update(overrides)
    return data


def test_draft_preview_publish(network: Network, page: Callable[[User], Client], portal_tool: Tool) -> None:
    client = page(network.mhra.publisher)
    response = client.post("/alerts/new/", _alert_form(portal_tool))
    assert response.status_code == 302
    alert = Alert.objects.get(title="Bias in triage scores for older patients")
    assert response["Location"] == f"/alerts/{alert.pk}/"
    assert alert.status == "draft"
    assert sorted(alert.recipient_rows.values_list("member__code", flat=True)) == ["FDA", "HC"]
    assert list(alert.jurisdiction_rows.values_list("jurisdiction", flat=True)) == ["GB", "US"]
    assert alert.affected_tool_rows.get().versions == ">=3.0"

    preview = client.get(f"/alerts/{alert.pk}/publish/").content.decode()
    assert "Publish this alert?" in preview
    assert "FDA" in preview
    assert "HC" in preview
    response = client.post(f"/alerts/{alert.pk}/publish/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == "published"
    assert alert.reference
    assert Event.objects.filter(type="alert.published", object_id=str(alert.pk)).count() == 1
    # Asked of FDA (the US is affected), not of HC (neither affected nor subscribed).
    assert set(Acknowledgement.objects.filter(alert=alert, requested=True).values_list("member__code", flat=True)) == {"FDA"}


def test_the_api_validation_messages_are_shown_on_the_form(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    client = page(network.mhra.assessor)
    response = client.post("/alerts/new/", _alert_form(portal_tool, affected_jurisdictions="GB, XX", tool_0="",
                                                        imdrf_codes="nonsense"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "&#x27;XX&#x27; is not an ISO 3166-1 alpha-2 code (or EU)." in body
    assert "This list may not be empty." in body
    assert "IMDRF adverse-event codes look like A0901" in body
    response = client.post("/alerts/new/", _alert_form(portal_tool, recipients=[]))
    assert response.status_code == 400
    assert "a &#x27;restricted&#x27; alert needs at least one other member code" in response.content.decode()
    assert not Alert.objects.exists()


def test_a_draft_reports_every_problem_in_one_round_trip(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    """The form's own check (a missing title) and the API's (an unknown jurisdiction) come together."""
    response = page(network.mhra.assessor).post(
        "/alerts/new/", _alert_form(portal_tool, title="", affected_jurisdictions="GB, XX")
    )
    assert response.status_code == 400
    summary = response.content.decode().split('class="error-summary-list">')[1].split("</ul>")[0]
    assert summary.count("<li>") == 2
    assert "Enter a title: what members see first in the inbox." in summary
    assert "&#x27;XX&#x27; is not an ISO 3166-1 alpha-2 code (or EU)." in summary
    assert not Alert.objects.exists()


def test_an_assessor_drafts_but_cannot_publish(network: Network, page: Callable[[User], Client], portal_tool: Tool) -> None:
    client = page(network.mhra.assessor)
    assert client.post("/alerts/new/", _alert_form(portal_tool)).status_code == 302
    alert = Alert.objects.get()
    assert client.post(f"/alerts/{alert.pk}/publish/").status_code == 403
    alert.refresh_from_db()
    assert alert.status == "draft"


def test_amend_with_changes_highlighted_and_a_stale_form_refused(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert, portal_tool: Tool
) -> None:
    client = page(network.mhra.publisher)
    form = client.get(f"/alerts/{restricted_alert.pk}/amend/")
    assert form.status_code == 200
    etag = form.context["form"].initial["etag"]
    data = {**_alert_form(portal_tool, recipients=["FDA"]), "title": restricted_alert.title,
            "severity": "critical", "summary": "Now confirmed at five sites.", "etag": etag,
            "change_summary": "Confirmed at more sites.", "material": "on"}
    response = client.post(f"/alerts/{restricted_alert.pk}/amend/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    revision = AlertRevision.objects.get(alert=restricted_alert, number=2)
    assert "summary" in revision.changed_fields
    assert revision.material
    detail = client.get(f"/alerts/{restricted_alert.pk}/").content.decode()
    assert "Revision 2" in detail
    assert "Confirmed at more sites." in detail
    assert '<span class="changed-field">Summary</span>' in detail
    assert "Now confirmed at five sites." in detail
    # The same form again carries the old ETag: refused with the API's precondition message.
    data["summary"] = "Another change"
    stale = client.post(f"/alerts/{restricted_alert.pk}/amend/", data)
    assert stale.status_code == 400
    assert "The alert has changed since you read it" in stale.content.decode()
    assert AlertRevision.objects.filter(alert=restricted_alert).count() == 2


def test_close_and_withdraw(network: Network, page: Callable[[User], Client], restricted_alert: Alert) -> None:
    client = page(network.mhra.publisher)
    refused = client.post(f"/alerts/{restricted_alert.pk}/close/", {"resolution": "  "})
    assert refused.status_code == 400
    assert client.post(f"/alerts/{restricted_alert.pk}/close/", {"resolution": "Fixed in 2.4.1"}).status_code == 302
    restricted_alert.refresh_from_db()
    assert restricted_alert.status == "closed"
    response = client.post(f"/alerts/{restricted_alert.pk}/withdraw/", {"reason": "Issued in error"})
    assert response.status_code == 302
    restricted_alert.refresh_from_db()
    assert restricted_alert.status == "withdrawn"
    assert "Issued in error" in client.get(f"/alerts/{restricted_alert.pk}/").content.decode()


def test_acknowledge_in_one_click_then_with_a_decision(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    client = page(network.fda.assessor)
    response = client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {"state": "received", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    ack = Acknowledgement.objects.get(alert=restricted_alert, member__code="FDA")
    assert ack.state == "received"
    # Without a comment, action_taken is refused with the service's message; nothing changes.
    refused = client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {"state": "action_taken"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Say what was done: a comment is required for &#x27;Action taken&#x27;." in body
    assert body.count("a comment is required") == 2  # once in the summary, once at the field; never raw names
    assert "action_taken" not in body.split("<main")[1].split("<form")[0]
    response = client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {
        "state": "action_taken", "comment": "Letters sent", "decision": "adapt", "rationale": "Local variant",
        "next": "https://evil.example/",
    })
    assert response.status_code == 302
    assert response["Location"] == f"/alerts/{restricted_alert.pk}/#acknowledge"  # an outside `next` is ignored
    ack.refresh_from_db()
    assert (ack.state, ack.decision, ack.rationale) == ("action_taken", "adapt", "Local variant")
    backwards = client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {"state": "assessing"})
    assert backwards.status_code == 400
    assert "states only move forward" in backwards.content.decode()
    assert restricted_alert.title not in client.get("/").content.decode()
    table = page(network.mhra.viewer).get(f"/alerts/{restricted_alert.pk}/").content.decode()
    assert "Letters sent" in table
    assert "Adapt" in table


def test_the_publisher_extends_a_deadline(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    client = page(network.mhra.publisher)
    later = (timezone.now() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/alerts/{restricted_alert.pk}/deadline/", {"member": "FDA", "deadline": later})
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(alert=restricted_alert, member__code="FDA")
    assert ack.deadline is not None
    assert ack.deadline > timezone.now() + timedelta(days=9)
    past = client.post(f"/alerts/{restricted_alert.pk}/deadline/", {"member": "FDA", "deadline": "2020-01-01T00:00"})
    assert past.status_code == 400
    assert "must be in the future" in past.content.decode()


def test_the_inbox_is_most_urgent_first(network: Network, page: Callable[[User], Client], portal_tool: Tool) -> None:
    from tests.alerts.factories import alert_published_make

    low = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Low one", severity="low")
    critical = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Critical one",
                                    severity="critical")
    medium = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Medium one",
                                  severity="medium")
    body = page(network.fda.viewer).get("/").content.decode()
    positions = [body.index(alert.title) for alert in (critical, medium, low)]
    assert positions == sorted(positions)
    assert "Due in 23 h" in body
    assert "No deadline" in body


def test_the_alert_search_uses_the_api_filterset(
    network: Network, page: Callable[[User], Client], api: Callable[..., ApiCaller], portal_tool: Tool
) -> None:
    from tests.alerts.factories import alert_published_make

    alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Alpha high", severity="high")
    alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Beta low", severity="low",
                         affected_jurisdictions=["CA"])
    client = page(network.fda.viewer)
    caller = api(network.fda.viewer)
    for query in ("severity=high", "severity=low", "jurisdiction=ca", "search=Alpha", "publisher=mhra",
                  "status=closed", f"tool={portal_tool.pk}"):
        titles_api = {row["title"] for row in caller.get(f"/api/v1/alerts/?{query}").json()["results"]}
        # Searched words are marked in the titles (<mark>): compare the text.
        body = client.get(f"/alerts/?{query}").content.decode().replace("<mark>", "").replace("</mark>", "")
        for title in ("Alpha high", "Beta low"):
            assert (title in body) == (title in titles_api), (query, title)
    invalid = client.get("/alerts/?published_after=yesterday")
    assert invalid.status_code == 200
    assert "Enter a valid date/time." in invalid.content.decode()


def test_submit_and_publish_a_report_and_import_a_csv(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    client = page(network.mhra.publisher)
    data = {
        "tool": str(portal_tool.pk), "tool_version": "2.1", "period_start": "2026-01-01", "period_end": "2026-06-30",
        "setting": "Breast screening programme", "country": "GB", "population": "", "sample_size": "12000",
        "method": "", "data_source": "", "distribution": "network",
        "metric_0": "sensitivity", "value_0": "0.81", "ci_low_0": "", "ci_high_0": "", "numerator_0": "810",
        "denominator_0": "1000",
    }
    refused = client.post("/reports/new/", {**data, "value_0": "1.4", "numerator_0": "", "denominator_0": ""})
    assert refused.status_code == 400
    assert "Value (1): 1.4 is outside 0–1 for Sensitivity." in refused.content.decode()
    response = client.post("/reports/new/", data)
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "draft"
    assert client.post(f"/reports/{report.pk}/publish/").status_code == 302
    report.refresh_from_db()
    assert report.status == "published"
    assert "Breast screening programme" in page(network.hc.viewer).get("/reports/").content.decode()

    header = "report,tool,tool_version,period_start,period_end,setting,country,sample_size,metric,value,numerator,denominator\n"
    bad = header + f"r1,{portal_tool.pk},2.1,2026-01-01,2026-06-30,ICU,GB,100,sensitivity,0.5,60,100\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = client.post("/reports/import/", {"file": SimpleUploadedFile("r.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 400
    assert "line 2" in refused.content.decode()
    assert "does not match 60/100" in refused.content.decode()
    assert Report.objects.count() == 1
    good = header + f"r1,{portal_tool.pk},2.1,2026-01-01,2026-06-30,ICU,GB,100,sensitivity,0.6,60,100\n"
    response = client.post("/reports/import/", {"file": SimpleUploadedFile("r.csv", good.encode(), "text/csv")})
    assert response.status_code == 302
    assert Report.objects.filter(status="published").count() == 2


def test_a_report_is_acknowledged_by_a_member_where_the_tool_is_authorised(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    from datetime import date

    from alerts.services.reports import report_draft_create, report_publish

    publisher = network.mhra.publisher
    assert publisher.member is not None
    report = report_draft_create(actor=publisher, member=publisher.member, data={
        "tool": portal_tool.pk, "tool_version": "2.1", "period_start": date(2025, 1, 1),
        "period_end": date(2025, 6, 30), "setting": "Audit", "country": "GB", "sample_size": 100,
        "metrics": [{"metric": "sensitivity", "value": 0.8, "numerator": 80, "denominator": 100}],
    })
    report_publish(actor=publisher, member=publisher.member, report=report)
    client = page(network.fda.assessor)
    assert "Performance report" in client.get("/").content.decode()
    response = client.post(f"/reports/{report.pk}/acknowledge/", {"state": "not_applicable", "decision": "decline",
                                                                      "rationale": "Not marketed in the US."})
    assert response.status_code == 302
    ack = Acknowledgement.objects.get(report=report, member__code="FDA")
    assert (ack.state, ack.decision) == ("not_applicable", "decline")
    assert "Not applicable" in page(network.mhra.viewer).get(f"/reports/{report.pk}/").content.decode()


def test_the_tool_page_charts_the_trend_against_the_baselines(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    body = page(network.hc.viewer).get(f"/tools/{portal_tool.pk}/").content.decode()
    assert '<svg viewBox="0 0 820 300" role="img"' in body
    assert "GB baseline 0.92" in body
    assert "US baseline 0.92" in body
    assert "style=" not in body  # no inline style anywhere (strict CSP)
    assert "<script>" not in body
