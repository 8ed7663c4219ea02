"""The third edition's pages at every width and in Japanese (issues #25, #27): reliance, requests,
notification preferences, a translated alert and a report's review step pass axe-core (no serious or
critical violation) at 390×844, 768×1024 and 1366×900 under the service's CSP, without sideways
scrolling; in Japanese at 390×844 and 1366×900 too, with no text cut off, `lang` on the page and on
every fragment in another language (the translation, the original).

With UPDATE_DOC_SCREENSHOTS=1 the inbox and an alert page in French and Japanese are written to
docs/screenshots/ (desktop, and the Japanese alert at phone width)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from alerts.models import Report, Tool
from alerts.services.inquiries import inquiry_open
from alerts.services.reports import report_draft_create
from alerts.services.translations import translation_add
from exchange.services.preferences import preferences_clean, preferences_update
from tests.alerts.factories import alert_published_make
from tests.e2e.conftest import TABLET, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Elements whose text is clipped: hidden overflow (or an ellipsis) with more text than room.
CUT_OFF = """() => [...document.querySelectorAll("body *")].filter(e => {
    const style = getComputedStyle(e);
    const clips = ["hidden", "clip"].includes(style.overflowX) || ["hidden", "clip"].includes(style.overflowY)
        || style.textOverflow === "ellipsis";
    const box = e.getBoundingClientRect();
    // A 1-pixel box is hidden on purpose (read by screen readers: a stacked table's header row).
    return clips && e.textContent.trim() && box.width > 1 && box.height > 1
        && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
        && !e.closest(".visually-hidden, .sr-only, [hidden]");
}).slice(0, 5).map(e => e.tagName + "." + e.className + ": " + e.textContent.trim().slice(0, 40))"""

# Every element holding text of the alert in a language other than the page's says so.
LANG_OF_FRAGMENTS = """() => ({
    page: document.documentElement.lang,
    original: document.getElementById("original")?.lang,
    translation: document.querySelector("section.translation")?.lang,
    credit: document.querySelector("section.translation p.muted")?.lang,
})"""


@pytest.fixture
def scene(network: Network, portal_tool: Tool) -> dict[str, str]:
    """HC's inbox holds FDA's alert (translated into French and Japanese by HC), a request thread, and
    MHRA has a report draft waiting for its review step."""
    alert = alert_published_make(
        actor=network.fda.publisher, tools=[portal_tool], distribution="network", severity="high",
        title="Missed nodules after scanner firmware 7.2", affected_jurisdictions=["US", "CA"],
        summary="Sensitivity for sub-centimetre nodules fell after the firmware update.",
    )
    translation_add(actor=network.hc.publisher, alert=alert, data={
        "language": "fr", "title": "Nodules manqués après le micrologiciel 7.2 du scanner",
        "summary": "La sensibilité pour les nodules de moins d’un centimètre a baissé après la mise à jour.",
    })
    translation_add(actor=network.hc.publisher, alert=alert, data={
        "language": "ja", "title": "スキャナーのファームウェア 7.2 以降に小結節の見落とし",
        "summary": "ファームウェア更新後、1 cm 未満の結節に対する感度が低下しました。",
    })
    inquiry = inquiry_open(actor=network.hc.assessor, subject_kind="alert", subject_id=alert.pk, to=["FDA"],
                           question="Did the drop affect chest CT only, or also low-dose screening?")
    report = _report_draft(network, portal_tool)
    return {"alert": str(alert.pk), "inquiry": str(inquiry.pk), "report": str(report.pk)}


def _report_draft(network: Network, tool: Tool) -> Report:
    publisher = network.mhra.publisher
    assert publisher.member is not None
    return report_draft_create(actor=publisher, member=publisher.member, data={
        "tool": tool.pk, "tool_version": "2.1", "period_start": date(2026, 1, 1), "period_end": date(2026, 6, 30),
        "setting": "Emergency department head CT", "country": "GB", "sample_size": 4210,
        "metrics": [{"metric": "sensitivity", "value": 0.87, "numerator": 348, "denominator": 400}],
        "distribution": "network",
    })


def _problems(session: Session, label: str) -> list[str]:
    session.page.wait_for_load_state("networkidle")
    problems = [f"{label}: {v}" for v in session.csp_violations()]
    problems += [f"{label}: {v['id']} {v['nodes']}" for v in session.axe()]
    overflow = session.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{label}: scrolls sideways by {overflow}px")
    problems += [f"{label}: text cut off: {cut}" for cut in session.page.evaluate(CUT_OFF)]
    return problems


def _hc_pages(scene: dict[str, str]) -> list[tuple[str, str]]:
    return [("inbox", "/"), ("alert", f"/alerts/{scene['alert']}/"), ("reliance", "/reliance/"),
            ("requests", "/requests/"), ("request", f"/requests/{scene['inquiry']}/"),
            ("preferences", "/accounts/notifications/")]


def _doc_shot(session: Session, name: str) -> None:
    if os.environ.get("UPDATE_DOC_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(DOCS / f"{name}.png"), full_page=False)


def test_new_page_types_pass_axe_at_phone_tablet_and_desktop_widths(
    network: Network, scene: dict[str, str], browser_session: Callable[..., Session]
) -> None:
    with_password(network.hc.admin, network.mhra.publisher)
    problems: list[str] = []
    for width, viewport in (("phone", PHONE), ("tablet", TABLET), ("desktop", DESKTOP)):
        hc = browser_session(f"hc-{width}", viewport=viewport)
        hc.sign_in(network.hc.admin.email, PASSWORD)
        for name, path in _hc_pages(scene):
            assert hc.go(path).status == 200, path
            problems += _problems(hc, f"{width} hc {name}")
        mhra = browser_session(f"mhra-{width}", viewport=viewport)
        mhra.sign_in(network.mhra.publisher.email, PASSWORD)
        assert mhra.go(f"/reports/{scene['report']}/publish/").status == 200
        problems += _problems(mhra, f"{width} mhra report-review")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["ja", "fr"])
def test_the_pages_in_another_language_are_accessible_and_mark_each_fragments_language(
    network: Network, scene: dict[str, str], browser_session: Callable[..., Session], language: str
) -> None:
    reader = network.hc.admin
    with_password(reader)
    preferences_update(actor=reader, user=reader, changes=preferences_clean({"language": language}))
    problems: list[str] = []
    for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        session = browser_session(f"hc-{language}-{width}", viewport=viewport)
        session.sign_in(reader.email, PASSWORD)
        for name, path in _hc_pages(scene):
            session.go(path)
            assert session.page.locator("html").get_attribute("lang") == language, (name, width)
            problems += _problems(session, f"{language} {width} {name}")
            if name == "inbox" and width == "desktop":
                _doc_shot(session, f"inbox-{language}")
            if name == "alert":
                langs = session.page.evaluate(LANG_OF_FRAGMENTS)
                assert langs == {"page": language, "original": "en", "translation": language,
                                 "credit": language}, langs
                if width == "desktop" or language == "ja":
                    _doc_shot(session, f"alert-{language}" + ("-phone" if width == "phone" else ""))
    assert not problems, "\n".join(problems)
