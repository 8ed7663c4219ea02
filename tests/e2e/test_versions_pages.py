"""Versions in the portal (SPEC §10.2), in headless Chromium: the tool page's timeline with PCCP
marks and its chart split by version, the alert page's fix check, and the version pickers; each page
passes axe-core under the service's Content Security Policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from alerts.models import Tool
from alerts.services.versions import tool_version_register
from tests.alerts.factories import alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.e2e.conftest import Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _counts(k: int, n: int) -> dict[str, Any]:
    return {"metric": "sensitivity", "value": k / n, "numerator": k, "denominator": n}


def test_the_tool_and_alert_pages_show_versions_and_whether_the_fix_worked(
    network: Network, portal_tool: Tool, browser_session: Callable[..., Session], no_broker: Any,
) -> None:
    for index, version in enumerate(("3.1.0", "3.2.0", "3.3.1", "3.4.0")):
        pccp = {"authorised_by": "FDA", "reference": "PCCP-K231234"} if version == "3.4.0" else None
        tool_version_register(actor=network.mhra.publisher, tool=portal_tool, version=version,
                              released_on=date(2025, 1 + index, 1), pccp=pccp, significant=version == "3.4.0")
    report_make(by=network.mhra, tool=portal_tool, tool_version="3.2.0", metrics=[_counts(700, 1000)], subgroups=[])
    report_make(by=network.fda, tool=portal_tool, tool_version="3.4.0", metrics=[_counts(900, 1000)], subgroups=[],
                country="US", period_start="2026-07-01", period_end="2026-12-31")
    alert = alert_published_make(actor=network.mhra.publisher, tools=[portal_tool], affected_tools=[
        {"tool": str(portal_tool.pk), "versions": ">=3.2,<3.4", "fixed_in": "3.4.0"}])
    with_password(network.hc.viewer, network.mhra.assessor)

    hc = browser_session("hc")
    hc.sign_in(network.hc.viewer.email, PASSWORD)
    hc.go(f"/tools/{portal_tool.pk}/")
    timeline = hc.page.locator(".version-timeline")
    assert timeline.locator("li").count() == 4
    assert "PCCP · FDA" in timeline.inner_text()
    assert hc.page.locator(".chart .version-mark").count() == 2  # 3.2.0 and 3.4.0 drawn apart
    hc.check_page("versions-tool-page")

    hc.go(f"/alerts/{alert.pk}/")
    fix = hc.page.locator(".fix-check")
    assert "Did the fix work?" in fix.inner_text()
    assert "Improved" in fix.inner_text()
    hc.check_page("versions-fix-check")

    mhra = browser_session("mhra")
    mhra.sign_in(network.mhra.assessor.email, PASSWORD)
    mhra.go("/reports/new/")
    options = mhra.page.locator("datalist#registered-versions option")
    assert options.count() == 4
    mhra.check_page("versions-report-form")
