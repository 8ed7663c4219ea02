"""The portal, second pass (issue #25), in headless Chromium against the live service.

An amended alert keeps the member's earlier answer in view — in the inbox card, on the alert page
and in the publisher's tracker — and one click carries it forward. On a phone (390×844) every page
type fits the screen (no sideways scrolling of the document), chart text stays at 11 px or more,
the first action is on the first screen of the inbox and of an incoming alert, and axe-core finds no
serious or critical violation at 390×844 as well as at 1366×900.

With UPDATE_DOC_SCREENSHOTS=1, the phone screenshot the README shows is written to docs/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from alerts.models import Acknowledgement, Alert, Tool
from alerts.services.acknowledgements import acknowledgement_set
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.e2e.conftest import ROOT, Session
from tests.e2e.test_action_first import _report_for_information
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DOCS = ROOT / "docs" / "screenshots"
RATIONALE = "Older firmware in US sites; the notice was reworded for them"

# Chart text as drawn on the screen: its font size times the drawing's scale.
SMALLEST_CHART_TEXT = """() => {
  let smallest = null;
  document.querySelectorAll(".chart svg text").forEach((t) => {
    const scale = t.ownerSVGElement.getScreenCTM().a;
    const size = parseFloat(getComputedStyle(t).fontSize) * scale;
    if (smallest === null || size < smallest) { smallest = size; }
  });
  return smallest;
}"""


def _fits(session: Session, name: str) -> None:
    """No sideways scrolling of the document, and axe-clean, on the current page."""
    width = session.page.evaluate("document.documentElement.scrollWidth")
    viewport = session.page.evaluate("window.innerWidth")
    wide = session.page.evaluate(
        """() => [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right
             > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className)"""
    )
    assert width <= viewport, f"{name}: document {width} px wide in a {viewport} px window; too wide: {wide}"
    session.check_page(f"phone-{name}", screenshot=False)


def _in_first_screen(session: Session, selector: str) -> bool:
    box = session.page.locator(selector).first.bounding_box()
    height = session.page.viewport_size["height"]
    return box is not None and box["y"] >= -2 and box["y"] + box["height"] <= height


@pytest.fixture
def amended(network: Network, portal_tool: Tool) -> Alert:
    """MHRA's critical alert, answered by FDA (Action taken · Adapt), then amended materially."""
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], severity="critical",
                                 affected_jurisdictions=["GB", "US", "CA"],
                                 recommended_actions="Double-read every study the tool scored as normal.")
    acknowledgement_set(actor=network.fda.assessor, alert=alert, state="action_taken",
                        comment="Notice sent to 14 health systems", decision="adapt", rationale=RATIONALE)
    return alert_amended_make(actor=network.mhra.publisher, alert=alert, material=True,
                              recommended_actions="Stop autonomous triage until version 4.3 is installed.")


def test_the_earlier_answer_stays_in_view_and_carries_forward_in_one_click(
    network: Network, amended: Alert, browser_session: Callable[..., Session]
) -> None:
    with_password(network.fda.assessor, network.mhra.publisher)
    mhra = browser_session("mhra", viewport=DESKTOP)
    mhra.sign_in(network.mhra.publisher.email, PASSWORD)
    mhra.go(f"/alerts/{amended.pk}/")
    fda_row = mhra.page.locator("#tracker tbody tr", has_text="FDA").inner_text()
    assert "Awaiting answer" in fda_row
    assert f"Revision 1: Action taken · Adapt — {RATIONALE}" in fda_row
    mhra.check_page("tracker-previous-answer", screenshot=False)

    fda = browser_session("fda", viewport=DESKTOP)
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    card = fda.page.locator(".inbox-item", has_text=amended.title)
    assert f"Amended to revision 2 — you answered Revision 1: Action taken · Adapt — {RATIONALE}" in " ".join(
        card.inner_text().split()
    )
    fda.check_page("inbox-amended", screenshot=False)
    card.get_by_role("link", name="Open and answer").click()
    fda.page.wait_for_load_state()
    panel = fda.page.locator("#acknowledge")
    assert "Not yet answered" in panel.inner_text()
    assert f"Revision 1: Action taken · Adapt — {RATIONALE}" in panel.inner_text()
    fda.check_page("alert-previous-answer", screenshot=False)

    panel.get_by_role("button", name="Keep my revision 1 answer for revision 2").click()
    fda.page.wait_for_load_state()
    ack = Acknowledgement.objects.get(alert=amended, member__code="FDA")
    assert (ack.revision, ack.state, ack.decision, ack.rationale) == (2, "action_taken", "adapt", RATIONALE)
    history = fda.page.locator("#acknowledge details.history").text_content() or ""
    assert "Revision 2: Action taken" in " ".join(history.split())
    assert "Carried forward from revision 1." in history


def test_every_page_type_fits_a_phone(
    network: Network, amended: Alert, portal_tool: Tool, browser_session: Callable[..., Session]
) -> None:
    report = _report_for_information(network, portal_tool, country="US")
    _report_for_information(network, portal_tool, country="CA")
    with_password(network.fda.assessor, network.mhra.admin, network.mhra.publisher)

    fda = browser_session("fda-phone", viewport=PHONE)
    fda.sign_in(network.fda.assessor.email, PASSWORD)
    # The inbox: its first action on the first screen.
    assert _in_first_screen(fda, ".inbox-item .quick-actions .button"), "Open and answer is below the fold"
    _fits(fda, "inbox")
    if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        fda.page.screenshot(path=str(DOCS / "phone-inbox.png"), full_page=False)
    # An incoming alert: the answer on the first screen.
    fda.go(f"/alerts/{amended.pk}/")
    assert _in_first_screen(fda, "#acknowledge form button"), "the first answer is below the fold"
    _fits(fda, "alert")
    for name, path in (
        ("alerts", "/alerts/"), ("reports", "/reports/"), ("report", f"/reports/{report.pk}/"),
        ("tools", "/tools/"), ("signals", "/signals/"), ("notifications", "/notifications/"),
        ("dashboard", "/dashboard/"), ("account", "/accounts/password/change/"),
    ):
        fda.go(path)
        _fits(fda, name)
    fda.go(f"/tools/{portal_tool.pk}/")
    _fits(fda, "tool")
    smallest = fda.page.evaluate(SMALLEST_CHART_TEXT)
    assert smallest is not None, "the tool page draws no chart"
    assert smallest >= 11, f"chart text drawn at {smallest:.1f} px"

    mhra = browser_session("mhra-phone", viewport=PHONE)
    mhra.sign_in(network.mhra.admin.email, PASSWORD)
    for name, path in (
        ("tracker", f"/alerts/{amended.pk}/"), ("subscriptions", "/subscriptions/"), ("endpoints", "/webhooks/"),
        ("users", "/member/users/"), ("new-alert", "/alerts/new/"), ("new-report", "/reports/new/"),
    ):
        mhra.go(path)
        _fits(mhra, name)

    public = browser_session("public-phone", viewport=PHONE)
    for name, path in (("public-alerts", "/public/alerts/"), ("not-found", "/public/alerts/SAX-2026-ZZZZZZ/"),
                       ("sign-in", "/accounts/login/")):
        public.go(path)
        _fits(public, name)
