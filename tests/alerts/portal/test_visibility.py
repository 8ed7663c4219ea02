"""SPEC §3 on every portal page: an alert or report a member may not see is a 404, never a 403,
and appears in no list, search, inbox, tool page or notification.

MHRA holds a draft, an alert restricted to FDA and a network alert; HC is outside the restricted
distribution; SMC is suspended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from alerts.models import Alert, Report, Tool
from alerts.services.reports import report_draft_create, report_publish
from exchange.models import User
from exchange.services.members import member_update
from tests.alerts.factories import alert_published_make
from tests.factories import Network

pytestmark = pytest.mark.django_db

DETAIL_PAGES = ("", "edit/", "publish/", "amend/", "close/", "withdraw/")


@pytest.fixture
def network_alert(network: Network, portal_tool: Tool) -> Alert:
    return alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], title="Network-wide drift notice")


def _restricted_report(network: Network, tool: Tool) -> Report:
    publisher = network.mhra.publisher
    assert publisher.member is not None
    report = report_draft_create(actor=publisher, member=publisher.member, data={
        "tool": tool.pk, "tool_version": "2.1", "period_start": date(2025, 1, 1), "period_end": date(2025, 6, 30),
        "setting": "Confidential screening audit", "country": "GB", "sample_size": 500,
        "metrics": [{"metric": "sensitivity", "value": 0.8, "numerator": 400, "denominator": 500}],
        "distribution": "restricted", "recipients": ["FDA"],
    })
    return report_publish(actor=publisher, member=publisher.member, report=report)


def test_an_outsider_never_sees_a_restricted_alert(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert, network_alert: Alert, portal_tool: Tool,
) -> None:
    for user in (network.hc.assessor, network.hc.publisher, network.hc.admin):
        client = page(user)
        for path in ("/", "/alerts/", "/alerts/?search=Restricted", f"/alerts/?reference={restricted_alert.reference}",
                     f"/alerts/?tool={portal_tool.pk}", f"/tools/{portal_tool.pk}/", "/notifications/"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert restricted_alert.title not in response.content.decode(), (user.email, path)
        assert network_alert.title in client.get("/alerts/").content.decode()
    publisher = page(network.hc.publisher)
    for suffix in DETAIL_PAGES:
        response = publisher.get(f"/alerts/{restricted_alert.pk}/{suffix}")
        assert response.status_code == 404, suffix
        assert restricted_alert.title not in response.content.decode()
    for suffix in ("acknowledge/", "delete/", "close/", "withdraw/", "deadline/"):
        response = publisher.post(f"/alerts/{restricted_alert.pk}/{suffix}", {"state": "received", "reason": "x",
                                                                              "resolution": "x"})
        assert response.status_code == 404, suffix


def test_the_recipient_sees_it_in_the_inbox_list_and_page(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    client = page(network.fda.viewer)
    assert restricted_alert.title in client.get("/").content.decode()
    searched = client.get("/alerts/?search=firmware").content.decode()
    assert restricted_alert.title in searched.replace("<mark>", "").replace("</mark>", "")  # the word is marked
    response = client.get(f"/alerts/{restricted_alert.pk}/")
    assert response.status_code == 200
    assert restricted_alert.reference in response.content.decode()


def test_a_draft_is_seen_by_its_publisher_only(
    network: Network, page: Callable[[User], Client], draft_alert: Alert
) -> None:
    assert page(network.mhra.viewer).get(f"/alerts/{draft_alert.pk}/").status_code == 200
    assert draft_alert.title in page(network.mhra.viewer).get("/alerts/").content.decode()
    for user in (network.fda.publisher, network.hc.admin):
        client = page(user)
        assert client.get(f"/alerts/{draft_alert.pk}/").status_code == 404
        assert client.get(f"/alerts/{draft_alert.pk}/publish/").status_code == 404
        assert draft_alert.title not in client.get("/alerts/?status=draft").content.decode()


def test_an_unknown_or_malformed_id_is_a_404(network: Network, page: Callable[[User], Client]) -> None:
    client = page(network.mhra.admin)
    for path in ("/alerts/00000000-0000-0000-0000-000000000000/", "/alerts/not-a-uuid/",
                 "/reports/00000000-0000-0000-0000-000000000000/", "/tools/00000000-0000-0000-0000-000000000000/"):
        assert client.get(path).status_code == 404, path


def test_a_restricted_report_is_a_404_outside_its_distribution(
    network: Network, page: Callable[[User], Client], portal_tool: Tool
) -> None:
    report = _restricted_report(network, portal_tool)
    assert page(network.fda.assessor).get(f"/reports/{report.pk}/").status_code == 200
    outsider = page(network.hc.admin)
    assert outsider.get(f"/reports/{report.pk}/").status_code == 404
    assert outsider.post(f"/reports/{report.pk}/acknowledge/", {"state": "received"}).status_code == 404
    assert "Confidential screening audit" not in outsider.get("/reports/").content.decode()
    assert "Confidential screening audit" not in outsider.get(f"/tools/{portal_tool.pk}/").content.decode()
    # The pooled trend on the tool's page counts only the reports the member may see.
    assert "Pooled from 0 published reports" in outsider.get(f"/tools/{portal_tool.pk}/").content.decode()
    assert "Pooled from 1 published report " in page(network.fda.viewer).get(f"/tools/{portal_tool.pk}/").content.decode()


def test_a_suspended_member_reads_nothing(
    network: Network, page: Callable[[User], Client], network_alert: Alert
) -> None:
    member_update(actor=network.staff, member=network.smc.member, status="suspended")
    client = page(network.smc.admin)
    for path in ("/", "/alerts/", f"/alerts/{network_alert.pk}/", "/tools/", "/member/users/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert network_alert.title not in response.content.decode()


def test_network_staff_without_a_member_are_sent_to_the_admin(network: Network, page: Callable[[User], Client]) -> None:
    response = page(network.staff).get("/")
    assert response.status_code == 403
    assert "Django admin" in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(network: Network, restricted_alert: Alert) -> None:
    client = Client()
    for path in ("/", "/alerts/", f"/alerts/{restricted_alert.pk}/", "/tools/", "/reports/", "/signals/",
                 "/notifications/", "/member/users/", "/subscriptions/", "/webhooks/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
    assert client.post(f"/alerts/{restricted_alert.pk}/acknowledge/", {"state": "received"}).status_code == 302
