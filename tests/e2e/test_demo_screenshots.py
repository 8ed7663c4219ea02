"""The demo as a newcomer meets it (`seed_demo`, the data `make demo` loads), read by the demo's own
people in their languages: the inbox and an incoming alert in English, French and Japanese, the
publisher's tracker, and the inbox and an alert on a phone (390×844). Each page answers, fits its
width and passes axe-core under the service's CSP.

With UPDATE_DOC_SCREENSHOTS=1 these are the screenshots docs/screenshots/demo-*.png (README)."""

from __future__ import annotations

import os
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from alerts.demo.data import DEMO_PASSWORD
from alerts.models import Alert
from tests.e2e.conftest import Broker, Session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shown(session: Session, name: str, lang: str) -> list[str]:
    session.page.wait_for_load_state("networkidle")
    assert session.page.locator("html").get_attribute("lang") == lang, name
    if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(DOCS / f"demo-{name}.png"), full_page=False)
    problems = [f"{name}: {v}" for v in session.csp_violations()]
    problems += [f"{name}: {v['id']} {v['nodes']}" for v in session.axe()]
    overflow = session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{name}: scrolls sideways by {overflow}px")
    return problems


def test_the_demo_reads_well_in_each_language_and_on_a_phone(
    no_broker: Broker, browser_session: Callable[..., Session]
) -> None:
    call_command("seed_demo", "--no-tokens", "--webhook-url", "http://127.0.0.1:8000/demo/webhook-receiver/",
                 stdout=StringIO())
    lung = Alert.objects.exclude(status="draft").get(publisher_reference="MHRA-DSI-2026-014")
    glucose = Alert.objects.exclude(status="draft").get(publisher_reference="FDA-CDRH-26-0158")
    problems: list[str] = []
    readers = (
        ("en", "assessor@fda.example", DESKTOP, lung, "en"),
        ("fr", "assessor@hc.example", DESKTOP, lung, "fr"),
        ("ja", "viewer@pmda.example", DESKTOP, glucose, "ja"),
        ("phone", "assessor@fda.example", PHONE, lung, "en"),
    )
    for name, email, viewport, alert, lang in readers:
        session = browser_session(f"demo-{name}", viewport=viewport)
        session.sign_in(email, DEMO_PASSWORD)
        problems += _shown(session, f"inbox-{name}", lang)
        assert session.go(f"/alerts/{alert.pk}/").status == 200
        problems += _shown(session, f"alert-{name}", lang)
    tracker = browser_session("demo-tracker", viewport=DESKTOP)
    tracker.sign_in("publisher@mhra.example", DEMO_PASSWORD)
    tracker.go(f"/alerts/{lung.pk}/")
    tracker.page.locator("#tracker, .tracker").first.scroll_into_view_if_needed()
    problems += _shown(tracker, "tracker", "en")
    assert not problems, "\n".join(problems)
