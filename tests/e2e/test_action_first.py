"""The portal for the person who must act (issue #16), in headless Chromium against the live service.

A member's assessor sees what it must do and by when at the top of an incoming critical alert, and a
missing comment is one plain message in an error summary that takes focus; MHRA's publisher sees who
has not acted, overdue first, on the alert and across its alerts; anyone reads public alerts without
signing in and never sees what the network keeps to itself; the alerts list filters in a closed
panel; a subscription chooses tools, jurisdictions and members by name. Every page passes axe-core
(no serious or critical violation) at desktop (1366×900) and tablet (768×1024) widths under the
service's own Content Security Policy.

With UPDATE_DOC_SCREENSHOTS=1, the screenshots the README shows are written to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from alerts.models import Acknowledgement, Alert, Report, Tool
from alerts.services.acknowledgements import acknowledgement_set
from alerts.services.reports import report_draft_create, report_publish
from exchange.models import Subscription
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.e2e.conftest import ROOT, TABLET, Session
from tests.factories import Network, authorization_make, tool_make
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
DOCS = ROOT / "docs" / "screenshots"
CRITICAL_TITLE = "Missed intracranial haemorrhage on thin-slice CT after update 4.2"
PUBLIC_TITLE = "Triage tool under-prioritises paediatric fractures"
INTERNAL_REFERENCE = "MHRA-INTERNAL-7781"
PRIVATE_RATIONALE = "Our own pilot sites confirm it; do not share outside the network"


def _doc_shot(session: Session, name: str) -> None:
    """A viewport screenshot for the README (only when asked: UPDATE_DOC_SCREENSHOTS=1)."""
    if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


def _in_first_screen(session: Session, selector: str) -> bool:
    box = session.page.locator(selector).first.bounding_box()
    height = session.page.viewport_size["height"]
    return box is not None and -2 <= box["y"] < height - 40


@pytest.fixture(autouse=True)
def _head_ct_tool(portal_tool: Tool) -> None:
    """The shared test tool, named for what these alerts are about (the screenshots read true)."""
    Tool.objects.filter(pk=portal_tool.pk).update(
        name="BleedSense CT", intended_purpose="Flags suspected intracranial haemorrhage on head CT for urgent review"
    )
    portal_tool.refresh_from_db()


@pytest.fixture
def fracture_tool(network: Network) -> Tool:
    tool = tool_make(actor=network.mhra.publisher, name="FractureFind XR", manufacturer="Ostrava Lane Medical",
                     intended_purpose="Prioritises radiographs with suspected fractures in the reading queue")
    authorization_make(actor=network.mhra.publisher, tool=tool)
    return tool


@pytest.fixture
def critical(network: Network, portal_tool: Tool) -> Alert:
    """A critical alert MHRA published to the whole network: FDA and HC are asked to acknowledge."""
    return alert_published_make(
        actor=network.mhra.publisher, tools=[portal_tool], distribution="network", severity="critical",
        title=CRITICAL_TITLE, affected_jurisdictions=["GB", "US", "CA"],
        summary="After software update 4.2, the tool missed 1 in 9 small intracranial bleeds on thin-slice CT.",
        description="Three stroke centres found the misses in a retrospective review of 2,140 studies.",
        hazard="Bleeds under 5 mm are scored as normal.", harm="Delayed treatment of intracranial haemorrhage.",
        recommended_actions="Stop autonomous triage on CT scanners updated to 4.2; double-read until fixed.",
    )


@pytest.fixture
def public_alert(network: Network, fracture_tool: Tool) -> Alert:
    alert = alert_published_make(
        actor=network.mhra.publisher, tools=[fracture_tool], distribution="public", severity="high",
        title=PUBLIC_TITLE, publisher_reference=INTERNAL_REFERENCE, affected_jurisdictions=["GB", "US"],
        summary="In children under 12, wrist fractures were triaged as routine in 7% of positive radiographs.",
        description="A registry audit of 18,400 paediatric radiographs found the under-prioritisation.",
        hazard="Fractures are queued as routine instead of urgent.", harm="Late treatment of paediatric fractures.",
        recommended_actions="Review paediatric wrist radiographs triaged as routine since March.",
    )
    acknowledgement_set(actor=network.fda.assessor, alert=alert, state="assessing", decision="adopt",
                        rationale=PRIVATE_RATIONALE)
    return alert


def _report_for_information(
    network: Network, tool: Tool, *, country: str = "CA", sensitivity: tuple[int, int] = (348, 400),
    start: date = date(2026, 1, 1),
) -> Report:
    """A performance report shared with the network (by HC, or FDA for the US): for information."""
    publisher = network.fda.publisher if country == "US" else network.hc.publisher
    assert publisher.member is not None
    numerator, denominator = sensitivity
    report = report_draft_create(actor=publisher, member=publisher.member, data={
        "tool": tool.pk, "tool_version": "2.1", "period_start": start, "period_end": start + timedelta(days=180),
        "setting": "Emergency department head CT", "country": country, "sample_size": 4210,
        "metrics": [{"metric": "sensitivity", "value": numerator / denominator, "numerator": numerator,
                     "denominator": denominator}],
        "distribution": "network",
    })
    report_publish(actor=publisher, member=publisher.member, report=report)
    return report


def test_an_answer_without_its_comment_is_one_focused_message(
    network: Network, critical: Alert, portal_tool: Tool, browser_session: Callable[..., Session]
) -> None:
    _report_for_information(network, portal_tool)
    with_password(network.fda.assessor)
    fda = browser_session("fda", viewport=DESKTOP)
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    assert fda.page.locator(".nav-count").inner_text().startswith("1")  # the count in the navigation
    needs_action = fda.page.locator("section", has=fda.page.get_by_role("heading", name=re.compile("^Needs your action")))
    for_information = fda.page.locator("section", has=fda.page.get_by_role("heading", name=re.compile("^For information")))
    assert CRITICAL_TITLE in needs_action.inner_text()
    assert "Emergency department head CT" in for_information.inner_text()
    assert "Emergency department head CT" not in needs_action.inner_text()
    _doc_shot(fda, "inbox")
    fda.go(f"/alerts/{critical.pk}/")
    # What FDA must do, by when, and the answers: at the top, not after the description.
    assert _in_first_screen(fda, "#acknowledge")
    panel = fda.page.locator("#acknowledge")
    assert "What FDA must do" in panel.inner_text()
    assert re.search(r"\d{2}:\d{2} UTC \(Due in", panel.inner_text()), panel.inner_text()  # absolute + relative
    assert "Stop autonomous triage" in panel.inner_text()
    assert panel.get_by_role("button", name="Mark received").is_visible()
    fda.check_page("critical-alert-fda")
    _doc_shot(fda, "incoming-critical-alert")

    panel.get_by_text("Answer with action taken").click()
    panel.get_by_role("radio", name="Action taken").check()
    panel.get_by_role("button", name="Record the answer").click()
    fda.page.wait_for_load_state()
    summary = fda.page.locator(".error-summary")
    assert _in_first_screen(fda, ".error-summary"), summary.bounding_box()
    assert fda.page.evaluate("document.activeElement.classList.contains('error-summary')")
    items = summary.locator("li")
    assert items.count() == 1
    assert items.inner_text() == "Say what was done: a comment is required for 'Action taken'."
    assert "action_taken" not in fda.page.locator("main").inner_text()
    assert "(optional)" not in panel.locator("label", has_text="Comment").inner_text()
    fda.check_page("critical-alert-error")
    items.get_by_role("link").click()
    assert fda.page.evaluate("document.activeElement.name") == "comment"
    assert Acknowledgement.objects.get(alert=critical, member__code="FDA").state is None  # nothing half-written

    # A rationale without a decision is refused in the same way: one message, on the decision.
    panel = fda.page.locator("#acknowledge")
    panel.get_by_role("radio", name="Assessing").check()
    panel.get_by_label("Rationale for the decision").fill("Still checking our deployments")
    panel.get_by_role("button", name="Record the answer").click()
    fda.page.wait_for_load_state()
    assert fda.page.locator(".error-summary li").all_inner_texts() == [
        "Choose the reliance decision that the rationale explains."
    ]

    # One click marks it received, and the page comes back to the answer.
    fda.page.locator("#acknowledge").get_by_role("button", name="Mark received").click()
    fda.page.wait_for_load_state()
    assert fda.page.url.endswith("#acknowledge")
    assert Acknowledgement.objects.get(alert=critical, member__code="FDA").state == "received"


def test_the_publisher_sees_who_has_not_acted(
    network: Network, critical: Alert, browser_session: Callable[..., Session]
) -> None:
    acknowledgement_set(actor=network.fda.assessor, alert=critical, state="action_taken",
                        comment="Autonomous triage switched off at 31 sites", decision="adopt",
                        rationale="Same scanner fleet in the US")
    Acknowledgement.objects.filter(alert=critical, member__code="HC").update(
        deadline=timezone.now() - timedelta(hours=5)
    )
    with_password(network.mhra.publisher)
    mhra = browser_session("mhra", viewport=DESKTOP)
    mhra.sign_in(network.mhra.publisher.email, PASSWORD)
    mhra.go(f"/alerts/{critical.pk}/")
    assert _in_first_screen(mhra, "#tracker")
    rows = mhra.page.locator("#tracker tbody tr")
    first = rows.first.inner_text()
    assert first.startswith("HC")
    assert "Overdue by" in first
    fda_row = mhra.page.locator("#tracker tbody tr", has_text="FDA").inner_text()
    assert "Action taken" in fda_row
    assert "Adopt" in fda_row
    assert "Same scanner fleet in the US" in fda_row
    mhra.check_page("publisher-tracker")
    _doc_shot(mhra, "publisher-tracker")

    mhra.page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    overdue = mhra.page.locator("section", has=mhra.page.get_by_role("heading", name="Overdue answers"))
    assert "HC" in overdue.inner_text()
    assert critical.reference in overdue.inner_text()
    by_member = mhra.page.locator("section", has=mhra.page.get_by_role("heading", name="By member"))
    hc_row = by_member.locator("tbody tr", has_text="HC").inner_text()
    assert re.search(r"HC.*\t1\t1\t1\t", hc_row), hc_row  # asked 1, outstanding 1, overdue 1
    assert "Median time to answer" in mhra.page.locator("main").inner_text()
    mhra.check_page("publisher-dashboard")
    _doc_shot(mhra, "publisher-dashboard")
    overdue.get_by_role("link", name=re.compile("^Extend the deadline")).click()
    assert mhra.page.locator("#deadline-HC").is_visible()


def test_public_pages_need_no_sign_in_and_keep_the_network_s_fields(
    network: Network, public_alert: Alert, critical: Alert, browser_session: Callable[..., Session]
) -> None:
    anyone = browser_session("anyone", viewport=DESKTOP)
    response = anyone.go("/public/alerts/")
    assert response.status == 200
    assert "/accounts/login/" not in anyone.page.url
    listing = anyone.page.locator("main").inner_text()
    assert PUBLIC_TITLE in listing
    assert CRITICAL_TITLE not in listing
    anyone.check_page("public-list")
    anyone.page.get_by_role("searchbox", name="Search public alerts").fill("paediatric fractures")
    anyone.page.get_by_role("button", name="Search").click()
    anyone.page.get_by_role("link", name=PUBLIC_TITLE).click()
    assert anyone.page.url.endswith(f"/public/alerts/{public_alert.reference}/")
    page = anyone.page.locator("main").inner_text()
    assert "Published" in page
    assert "High" in page
    assert "FractureFind XR" in page
    assert "Ostrava Lane Medical" in page
    assert "Review paediatric wrist radiographs" in page
    for secret in (INTERNAL_REFERENCE, PRIVATE_RATIONALE, "Acknowledg", "FDA", "Distribution", "Adopt"):
        assert secret not in anyone.page.content(), secret
    for link in anyone.page.locator("main a").all():
        href = link.get_attribute("href") or ""
        assert not href.startswith(("/alerts/", "/tools/", "/reports/")), href  # nothing behind sign-in
    anyone.check_page("public-alert")
    _doc_shot(anyone, "public-alert")
    assert anyone.go(f"/public/alerts/{critical.reference}/").status == 404
    feed = anyone.go("/feeds/alerts.atom").text()
    assert f"/public/alerts/{public_alert.reference}/" in feed


def test_the_alerts_list_filters_in_a_closed_panel(
    network: Network, critical: Alert, public_alert: Alert, browser_session: Callable[..., Session]
) -> None:
    with_password(network.fda.assessor)
    fda = browser_session("fda", viewport=DESKTOP)
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    fda.go("/alerts/")
    assert _in_first_screen(fda, "table.alert-table")  # results on the first screen, filters folded
    fits = "(() => { const w = document.querySelector('table.alert-table').parentElement; return w.scrollWidth <= w.clientWidth; })()"
    assert fda.page.evaluate(fits)  # every column visible at 1366 px, none cut off
    headers = fda.page.locator("table.alert-table thead").inner_text()
    for column in ("Tool", "FDA's state", "FDA's deadline"):
        assert column in headers
    row = fda.page.locator("table.alert-table tbody tr", has_text=CRITICAL_TITLE).inner_text()
    assert "Not yet answered" in row
    assert "Due in" in row
    assert "Quillfeather" not in headers
    fda.page.get_by_text("Filters", exact=True).click()
    fda.page.get_by_role("group", name="Severity").get_by_role("checkbox", name="Critical").check()
    assert fda.page.get_by_label("Published on or after").is_visible()  # a human label, not a field name
    fda.page.get_by_role("button", name="Apply the filters").click()
    fda.page.wait_for_load_state()
    assert "severity=critical" in fda.page.url
    text = fda.page.locator("main").inner_text()
    assert CRITICAL_TITLE in text
    assert PUBLIC_TITLE not in text
    assert "Severity: Critical" in fda.page.locator(".filter-chips").inner_text()
    fda.check_page("alerts-filtered")
    fda.go("/alerts/")
    _doc_shot(fda, "alerts-list")


def test_a_subscription_chooses_by_name(
    network: Network, portal_tool: Tool, browser_session: Callable[..., Session]
) -> None:
    with_password(network.fda.admin)
    fda = browser_session("fda-admin", viewport=DESKTOP)
    fda.sign_in(network.fda.admin.email, PASSWORD)
    fda.go("/subscriptions/new/")
    form = fda.page
    form.get_by_label("Name").fill("Critical imaging alerts")
    form.get_by_role("checkbox", name="Alert published").check()
    form.get_by_role("combobox", name=re.compile("^Tools")).fill("Quillfeather")
    form.get_by_role("option", name=re.compile("Quillfeather Imaging Ltd")).click()
    form.get_by_role("combobox", name=re.compile("^Affected jurisdictions")).fill("Germany")
    form.get_by_role("option", name="Germany (DE)").click()
    form.get_by_role("combobox", name=re.compile("^Publishing members")).fill("MHRA")
    form.get_by_role("option", name=re.compile("^MHRA")).click()
    chips = form.locator(".picker-chips").all_inner_texts()
    assert any(portal_tool.name in chip for chip in chips)
    assert any("Germany" in chip for chip in chips)
    fda.check_page("subscription-pickers")
    form.get_by_role("button", name="Save").click()
    form.wait_for_load_state()
    subscription = Subscription.objects.get(member__code="FDA", name="Critical imaging alerts")
    assert subscription.tools == [str(portal_tool.pk)]
    assert subscription.jurisdictions == ["DE"]
    assert subscription.publishers == ["MHRA"]
    assert subscription.event_types == ["alert.published"]
    fda.go(f"/subscriptions/{subscription.pk}/")
    form.locator(".picker-chips li", has_text=portal_tool.name).wait_for()  # names, not ids, when editing


def _pages(
    network: Network, critical: Alert, public_alert: Alert, tool: Tool, *, report: Report, draft: Alert,
) -> dict[str, list[str]]:
    return {
        "public": ["/public/alerts/", f"/public/alerts/{public_alert.reference}/", "/accounts/login/"],
        "fda-admin": ["/", "/?show=overdue", f"/alerts/{critical.pk}/", "/alerts/", "/reports/",
                      f"/reports/{report.pk}/", "/tools/", f"/tools/{tool.pk}/", "/signals/", "/notifications/",
                      "/subscriptions/", "/subscriptions/new/", "/webhooks/", "/webhooks/new/", "/member/users/",
                      "/member/users/new/", f"/member/users/{network.fda.viewer.pk}/", "/member/tokens/new/",
                      "/accounts/"],
        "mhra-publisher": ["/dashboard/", f"/alerts/{critical.pk}/", "/alerts/new/", f"/alerts/{draft.pk}/",
                           f"/alerts/{draft.pk}/edit/", f"/alerts/{critical.pk}/amend/",
                           f"/alerts/{critical.pk}/close/", f"/alerts/{critical.pk}/withdraw/",
                           f"/reports/{report.pk}/", "/reports/new/", "/reports/import/"],
    }


def test_every_page_passes_axe_at_desktop_and_tablet_widths(
    network: Network, critical: Alert, public_alert: Alert, portal_tool: Tool,
    browser_session: Callable[..., Session],
) -> None:
    with_password(network.fda.admin, network.mhra.publisher)
    report = _report_for_information(network, portal_tool)
    _report_for_information(network, portal_tool, country="US", sensitivity=(352, 400), start=date(2025, 7, 1))
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[portal_tool],
                             title="Draft: calibration drift on low-dose CT")
    problems: list[str] = []
    for viewport, width in ((DESKTOP, "desktop"), (TABLET, "tablet")):
        for who, paths in _pages(network, critical, public_alert, portal_tool, report=report, draft=draft).items():
            session = browser_session(f"{who}-{width}", viewport=viewport)
            if who == "fda-admin":
                session.sign_in(network.fda.admin.email, PASSWORD)
            elif who == "mhra-publisher":
                session.sign_in(network.mhra.publisher.email, PASSWORD)
            for path in paths:
                response = session.go(path)
                assert response.status == 200, (who, path, response.status)
                session.page.wait_for_load_state("networkidle")
                problems += [f"{width} {who} {path}: {v}" for v in session.csp_violations()]
                problems += [f"{width} {who} {path}: {v['id']} {v['nodes']}" for v in session.axe()]
                overflow = session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if overflow > 0:
                    problems.append(f"{width} {who} {path}: scrolls sideways by {overflow}px")
            if who != "public":
                _tool_shot(session, portal_tool, width)
    assert not problems, "\n".join(problems)


def _tool_shot(session: Any, tool: Tool, width: str) -> None:
    if width == "desktop" and session.name.startswith("fda-admin"):
        session.go(f"/tools/{tool.pk}/")
        session.page.locator("#perf-heading").scroll_into_view_if_needed()
        session.page.evaluate("window.scrollBy(0, document.getElementById('perf-heading').getBoundingClientRect().top - 8)")
        _doc_shot(session, "tool-page")


