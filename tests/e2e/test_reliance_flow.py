"""Reliance in a real browser (issue #22): FDA publishes a critical alert about a tool HC authorised by
reliance on FDA's; HC's inbox shows the review first; HC suspends with a rationale; the tool page shows
HC's authorisation suspended. The Reliance page passes axe-core at 1366×900 and 768×1024."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from alerts.models import Authorization, Tool
from alerts.services.tools import authorization_record
from tests.alerts.factories import alert_draft_make
from tests.e2e.conftest import TABLET, Session
from tests.factories import Network, authorization_make, tool_make
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
TITLE = "Missed atrial fibrillation episodes after firmware 5.1"


@pytest.fixture
def relied_on_tool(network: Network) -> tuple[Tool, Authorization]:
    tool = tool_make(actor=network.fda.publisher, name="CardioRhythm AI", manufacturer="Pellucid Cardiac Ltd",
                     clinical_area="cardiology", intended_purpose="Detects atrial fibrillation on ambulatory ECG")
    fda = authorization_make(actor=network.fda.publisher, tool=tool, reference="K250101")
    hc = authorization_record(actor=network.hc.publisher, tool=tool, jurisdiction="CA", reference="HC-MDL-2026-0101",
                              date=date(2026, 2, 1), route="reliance", relies_on=fda.pk, validity="follows_reference")
    return tool, hc


def test_hc_suspends_its_reliance_authorisation_after_fdas_critical_alert(
    network: Network, relied_on_tool: tuple[Tool, Authorization], browser_session: Callable[..., Session],
) -> None:
    tool, hc_authorization = relied_on_tool
    draft = alert_draft_make(actor=network.fda.publisher, tools=[tool], severity="critical", title=TITLE,
                             affected_jurisdictions=["US"], distribution="network")
    with_password(network.fda.publisher)
    with_password(network.hc.publisher)

    fda = browser_session("fda", viewport=DESKTOP)
    fda.sign_in(network.fda.publisher.email, PASSWORD)
    fda.go(f"/alerts/{draft.pk}/publish/")
    fda.page.get_by_role("button", name="Publish now").click()
    fda.page.wait_for_load_state()
    assert "Published as SAX-" in fda.page.locator("main").inner_text()

    hc = browser_session("hc", viewport=DESKTOP)
    hc.sign_in(network.hc.publisher.email, PASSWORD)
    first = hc.page.locator("main h2").first
    assert first.inner_text().startswith("Reliance reviews")  # above the alerts that need action
    item = hc.page.locator(".inbox-item").first
    assert "review your authorisation HC-MDL-2026-0101" in item.inner_text()
    assert "FDA alert" in item.inner_text()
    item.get_by_role("link", name=re.compile("CardioRhythm AI")).click()
    hc.page.wait_for_load_state()
    assert "/reliance/" in hc.page.url
    hc.check_page("reliance-page-desktop")

    review = hc.page.locator(".inbox-item", has_text="HC-MDL-2026-0101")
    review.get_by_role("radio", name="Suspend").check()
    review.get_by_label("Rationale").fill("FDA's finding applies to the firmware deployed in Canada.")
    review.get_by_role("button", name=re.compile("Record the decision")).click()
    hc.page.wait_for_load_state()
    assert "Decision recorded: Suspend" in hc.page.locator("main").inner_text()
    hc_authorization.refresh_from_db()
    assert hc_authorization.status == "suspended"

    hc.go(f"/tools/{tool.pk}/")
    row = hc.page.locator("tr", has_text="HC-MDL-2026-0101")
    assert "Suspended" in row.inner_text()
    assert "By reliance on FDA" in row.inner_text()

    tablet = browser_session("hc-tablet", viewport=TABLET)
    tablet.sign_in(network.hc.publisher.email, PASSWORD)
    tablet.go("/reliance/")
    assert "FDA's finding applies" in tablet.page.locator("main").inner_text()  # the decided review
    tablet.check_page("reliance-page-tablet")
    assert fda.foreign_requests() == []
    assert hc.foreign_requests() == []
