"""The language switcher in a real browser (SPEC §10.5): on every page, accessible (axe) in Japanese
at both widths, no CSP violation, works without JavaScript, and signed in it keeps the choice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from exchange.services.preferences import preferences_of
from tests.e2e.conftest import TABLET, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _problems(session: Session, label: str) -> list[str]:
    session.page.wait_for_load_state("networkidle")
    problems = [f"{label}: {v}" for v in session.csp_violations()]
    problems += [f"{label}: {v['id']} {v['nodes']}" for v in session.axe()]
    overflow = session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{label}: scrolls sideways by {overflow}px")
    return problems


def test_the_switcher_turns_the_pages_japanese_and_stays_accessible(
    network: Network, browser_session: Callable[..., Session],
) -> None:
    user = network.hc.viewer
    with_password(user)
    problems: list[str] = []
    for width, viewport in (("desktop", None), ("tablet", TABLET)):
        session = browser_session(f"language-{width}", viewport=viewport)
        session.sign_in(user.email, PASSWORD)
        page = session.page
        page.locator("#language-switch").select_option("ja")  # the second time, the page is Japanese already
        page.locator(".language-form button").click()
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "ja"
        assert page.get_by_role("link", name="受信箱").count() == 1
        problems += _problems(session, f"{width} inbox ja")
        session.go("/accounts/")
        problems += _problems(session, f"{width} account ja")
        session.go("/public/alerts/")
        problems += _problems(session, f"{width} public ja")
    assert preferences_of(user=user).language == "ja"
    assert not problems, "\n".join(problems)


def test_the_switcher_works_without_javascript(chromium: Any, live_server: Any) -> None:
    context = chromium.new_context(java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Language").select_option("fr")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_load_state()
        assert page.url.endswith("/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.get_by_role("heading", name="Se connecter").count() == 1
    finally:
        context.close()
