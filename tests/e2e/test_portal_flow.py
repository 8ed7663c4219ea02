"""The portal's main flow in headless Chromium against the live service (SPEC §3, §6).

MHRA's publisher drafts, previews and publishes a critical alert restricted to FDA; FDA's assessor
finds it at the top of the inbox and acknowledges it with a decision; MHRA's publisher sees that on
the alert's page; HC, outside the distribution, never sees it — not in the inbox, the list, the
search, the tool's page, nor at its URL (404). Every page is screenshotted, checked with axe-core,
and may ask nothing of any host but the service itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from alerts.models import Alert, Tool
from alerts.services.reports import report_draft_create, report_publish
from exchange.models import Notification
from exchange.services.subscriptions import subscription_create
from tests.e2e.conftest import TABLET, Broker, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Missed nodules after scanner firmware 7.2"


def _trend(network: Network, tool: Tool) -> None:
    """Two published reports, so that the tool's page charts a trend against its baselines."""
    for index, (start, end, num) in enumerate(
        [(date(2025, 1, 1), date(2025, 6, 30), 900), (date(2025, 7, 1), date(2025, 12, 31), 820)]
    ):
        publisher = network.mhra.publisher if index == 0 else network.fda.publisher
        assert publisher.member is not None
        report = report_draft_create(actor=publisher, member=publisher.member, data={
            "tool": tool.pk, "tool_version": "2.1", "period_start": start, "period_end": end,
            "setting": "Lung screening programme", "country": publisher.member.country, "sample_size": 1000,
            "metrics": [{"metric": "sensitivity", "value": num / 1000, "numerator": num, "denominator": 1000}],
            "distribution": "network",
        })
        report_publish(actor=publisher, member=publisher.member, report=report)


def test_publish_acknowledge_and_restricted_visibility(
    network: Network, portal_tool: Tool, browser_session: Callable[..., Session], no_broker: Broker
) -> None:
    with_password(network.mhra.publisher, network.fda.assessor, network.hc.assessor)
    _trend(network, portal_tool)
    for regulator in (network.fda, network.hc):  # both want every alert; only FDA is in the audience
        subscription_create(actor=None, member=regulator.member, name="Every alert", event_types=["alert.published"])

    # --- MHRA's publisher signs in at / and drafts the alert --------------------------------------
    mhra = browser_session("mhra")
    mhra.go("/")
    assert "/accounts/login/" in mhra.page.url
    mhra.check_page("01-sign-in")
    mhra.sign_in(network.mhra.publisher.email, PASSWORD)
    assert mhra.page.get_by_role("heading", name="Inbox").is_visible()

    mhra.page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    mhra.page.get_by_role("link", name="Draft an alert").click()
    mhra.check_page("02-alert-form")
    form = mhra.page
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Summary").fill("Sensitivity for sub-6 mm nodules fell after firmware 7.2.")
    form.get_by_label("Alert type").select_option("performance_degradation")
    form.get_by_role("radio", name="Critical").check()
    for country, code in (("United Kingdom", "GB"), ("United States", "US")):
        form.get_by_role("combobox", name=re.compile("^Affected jurisdictions")).fill(country)
        form.get_by_role("option", name=re.compile(rf"\({code}\)$")).click()
    form.get_by_label("Recommended actions").fill("Double-read CT studies acquired after the update.")
    form.get_by_label(re.compile(r"^Tool 1\b")).select_option(str(portal_tool.pk))
    form.get_by_label("Affected versions of tool 1").fill(">=2.0,<2.4")
    form.get_by_role("radio", name=re.compile("Restricted")).check()
    form.get_by_role("checkbox", name=re.compile("^FDA")).check()
    form.get_by_role("button", name="Save the draft").click()
    form.wait_for_load_state()
    assert form.get_by_text("Draft, not published.").is_visible()
    mhra.check_page("03-draft-preview")

    form.get_by_role("link", name="Review and publish…").click()
    assert form.get_by_role("heading", name="Publish this alert?").is_visible()
    assert "FDA" in form.locator("main").inner_text()
    mhra.check_page("04-publish-confirm")
    form.get_by_role("button", name="Publish now").click()
    form.wait_for_load_state()
    alert = Alert.objects.get(title=TITLE)
    assert alert.status == "published"
    assert sorted(alert.jurisdiction_rows.values_list("jurisdiction", flat=True)) == ["GB", "US"]  # picked by name
    assert alert.reference
    assert alert.reference in form.locator("main").inner_text()
    alert_path = f"/alerts/{alert.pk}/"
    no_broker.run_worker()  # the worker's fan-out: notifications for the matching audience members
    assert set(Notification.objects.filter(event__object_id=str(alert.pk)).values_list("member__code", flat=True)) == {
        "FDA"
    }

    # --- FDA's assessor finds it at the top of the inbox and acknowledges it ------------------------
    fda = browser_session("fda")
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    first = fda.page.locator(".inbox-item").first
    assert TITLE in first.inner_text()
    assert "Due in" in first.inner_text()
    fda.check_page("05-inbox-fda")
    first.get_by_role("link", name=re.compile("^Open and answer")).click()
    panel = fda.page.locator("#acknowledge")
    panel.get_by_text("Answer with action taken").click()
    panel.get_by_role("radio", name="Action taken").check()
    panel.get_by_label(re.compile("^Comment")).fill("Notice sent to all 14 deploying sites")
    panel.get_by_label("Reliance decision").select_option("adopt")
    panel.get_by_label("Rationale for the decision").fill("The same versions are deployed in the US.")
    fda.shot("06-alert-answer-open")
    panel.get_by_role("button", name="Record the answer").click()
    fda.page.wait_for_load_state()
    assert "acknowledgement is now 'Action taken'" in fda.page.locator(".messages").inner_text()
    assert "Action taken" in fda.page.locator("#acknowledge").inner_text()
    fda.go("/")
    assert TITLE not in fda.page.locator("main").inner_text()  # complete: it leaves the inbox
    fda.go(alert_path)
    fda.check_page("07-alert-fda")
    fda.page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    fda.page.get_by_role("link", name=re.compile(re.escape(TITLE))).click()
    assert fda.page.url.endswith(alert_path)

    # --- MHRA's publisher sees the acknowledgement on the alert's page ------------------------------
    mhra.go(alert_path)
    row = mhra.page.locator("#tracker tr", has_text="FDA")
    assert "Action taken" in row.inner_text()
    assert "Adopt" in row.inner_text()
    assert "Notice sent to all 14 deploying sites" in row.inner_text()
    mhra.check_page("08-alert-publisher-acknowledgements")

    # --- HC, outside the distribution, never sees it ------------------------------------------------
    hc = browser_session("hc")
    hc.sign_in(network.hc.assessor.email, PASSWORD)
    assert TITLE not in hc.page.locator("main").inner_text()
    hc.go("/alerts/")
    assert TITLE not in hc.page.content()
    hc.go("/alerts/?search=firmware+7.2")
    assert TITLE not in hc.page.content()
    assert "0 alerts" in hc.page.locator("main").inner_text()
    hc.go(f"/alerts/?reference={alert.reference}")
    assert TITLE not in hc.page.content()
    hc.go(f"/tools/{portal_tool.pk}/")
    assert TITLE not in hc.page.content()
    hc.go("/notifications/")
    assert TITLE not in hc.page.content()
    for suffix in ("", "amend/", "publish/"):
        response = hc.go(alert_path + suffix)
        assert response.status == 404 if suffix == "" else response.status in (403, 404)
        assert TITLE not in hc.page.content()
    response = hc.go(alert_path)
    assert response.status == 404
    hc.check_page("09-not-found-hc")

    # --- the other main pages, for the checks and the screenshots -----------------------------------
    mhra.go("/alerts/?severity=critical")
    assert TITLE in mhra.page.content()
    mhra.check_page("10-alert-search")
    mhra.go(f"/tools/{portal_tool.pk}/")
    assert mhra.page.locator("figure.chart svg").count() >= 1
    mhra.check_page("11-tool-page")
    for path, name in [("/tools/", "12-tool-registry"), ("/reports/", "13-reports"),
                       ("/notifications/", "14-notifications"), ("/signals/", "15-signals")]:
        mhra.go(path)
        mhra.check_page(name)

    # --- a tablet's width: no page scrolls sideways ----------------------------------------------------
    tablet = browser_session("tablet", viewport=TABLET)
    tablet.sign_in(network.fda.assessor.email, PASSWORD)
    for path in ("/", alert_path, "/alerts/", f"/tools/{portal_tool.pk}/"):
        tablet.go(path)
        overflow = tablet.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at tablet width"
    tablet.go(alert_path)
    tablet.shot("16-alert-tablet")

    # --- nothing was asked of any other host ----------------------------------------------------------
    for session in (mhra, fda, hc, tablet):
        assert session.requests, session.name
        assert not session.foreign_requests(), (session.name, session.foreign_requests())
        refused = [e for e in session.console_errors if "Content Security Policy" in e]
        assert not refused, (session.name, refused)
