"""The notification preferences page in a real browser: accessible (axe), no CSP violation, and a
refusal shows the error summary linking to the field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from exchange.services.preferences import preferences_of
from tests.e2e.conftest import TABLET, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_person_sets_what_reaches_them(network: Network, browser_session: Callable[..., Session]) -> None:
    user = network.hc.viewer
    with_password(user)
    for width, viewport in (("desktop", None), ("tablet", TABLET)):
        session = browser_session(f"preferences-{width}", viewport=viewport)
        session.sign_in(user.email, PASSWORD)
        session.go("/accounts/")
        session.page.get_by_role("link", name="What reaches you by e-mail").click()
        session.page.wait_for_load_state()
        session.check_page(f"notification-preferences-{width}")

    page = session.page
    page.get_by_label("Time zone").fill("Atlantis/Capital")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    assert "IANA time zone" in summary.inner_text()
    session.check_page("notification-preferences-error", screenshot=False)

    page.get_by_label("Time zone").fill("America/Toronto")
    page.get_by_role("group", name="Performance reports").get_by_label("Never").check()
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()
    assert "Your notification preferences are saved." in page.content()
    preferences = preferences_of(user=user)
    assert preferences.timezone == "America/Toronto"
    assert preferences.mode("report") == "off"
