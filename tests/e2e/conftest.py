"""The portal in a real browser: Playwright (its Python driver only) with Debian's Chromium.

The browser is the system's `/usr/bin/chromium` (never `playwright install`). Every page is
watched: each request must go to the live server itself (no CDN, no other host), and any
Content Security Policy violation fails the test. `Browser.axe(page)` runs axe-core (vendored in
tests/e2e/vendor/axe.min.js) and returns the serious and critical violations.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.portal_support import portal_tool

__all__ = ["portal_tool"]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
LAPTOP = {"width": 1280, "height": 860}
TABLET = {"width": 768, "height": 1024}
# Record CSP violations from the first script of every document (evaluated by the browser's
# debugging protocol, so the page's own policy does not apply to it).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Skipped on a developer's machine without Chromium; in CI (CI=true) a missing browser fails.
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists() and os.environ.get("CI", "") != "true":
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        for item in items:
            if item.get_closest_marker("e2e") is not None:
                item.add_marker(skip)


@pytest.fixture(scope="package")
def _async_unsafe_allowed() -> Iterator[None]:
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # between browser steps are plain synchronous code all the same. Only while tests/e2e runs:
    # the package scope ends it (and the browser) before the worker goes on to other tests.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def chromium(_async_unsafe_allowed: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Session:
    """One person's browser (its own cookies), with everything its pages asked for."""

    name: str
    context: Any
    page: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def sign_in(self, email: str, password: str) -> None:
        self.go("/")
        assert "/accounts/login/" in self.page.url, self.page.url
        self.page.get_by_label("E-mail address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        assert "/accounts/login/" not in self.page.url, self.page.content()[:2000]

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def csp_violations(self) -> list[str]:
        return list(self.page.evaluate("window.__cspViolations || []"))

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical accessibility violations of the current page (axe-core, WCAG 2.1 A/AA)."""
        self.page.evaluate(AXE_SOURCE)
        result = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {runOnly: {type: "tag",
                    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + n.failureSummary)}));
            }"""
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]

    def check_page(self, name: str, *, screenshot: bool = True) -> None:
        """The current page: screenshot, no CSP violation, no serious or critical axe violation."""
        self.page.wait_for_load_state("networkidle")
        if screenshot:
            self.shot(name)
        violations = self.csp_violations()
        assert not violations, f"{name}: CSP violations {violations}"
        problems = self.axe()
        assert not problems, f"{name}: accessibility violations {problems}"

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.base_url).netloc
        return [url for url in self.requests if urlsplit(url).netloc != own]


@dataclass
class Broker:
    """What would have gone to the Celery broker, recorded; `run_worker()` does the worker's part."""

    dispatched: list[str] = field(default_factory=list)
    kicks: int = 0

    def run_worker(self) -> Any:
        from exchange.services.deliveries import DeliveryPump, PumpStats
        from exchange.services.fanout import event_fan_out

        adoptions = []  # each fan-out queues a pump that first sends what it wrote leased to it
        while self.dispatched:
            fanout = event_fan_out(event_id=self.dispatched.pop(0))
            if fanout is not None and fanout.lease is not None:
                adoptions.append((fanout.event_id, fanout.lease))
        stats = PumpStats()
        for adopt in adoptions or [None]:
            run = DeliveryPump(max_seconds=5, adopt=adopt).run()
            stats.sent, stats.succeeded, stats.failed = (
                stats.sent + run.sent, stats.succeeded + run.succeeded, stats.failed + run.failed
            )
        return stats


@pytest.fixture
def no_broker(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Broker:
    """The service's tasks are not queued (no worker runs here); the test runs their code itself."""
    import alerts.tasks
    from exchange import tasks
    from exchange.services.deliveries import pumps

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0]
    broker = Broker()

    def kick(deliveries: int = 1, countdown: float | None = None, **_: Any) -> None:
        broker.kicks += 1

    monkeypatch.setattr(tasks.event_dispatch, "delay", lambda event_id: broker.dispatched.append(str(event_id)))
    monkeypatch.setattr(pumps, "pumps_queue", kick)
    monkeypatch.setattr(alerts.tasks.signals_evaluate, "delay", lambda tool_id: None)
    return broker


@pytest.fixture
def browser_session(chromium: Any, live_server: Any) -> Iterator[Callable[..., Session]]:
    sessions: list[Session] = []

    def make(name: str, viewport: dict[str, int] | None = None) -> Session:
        context = chromium.new_context(viewport=viewport or LAPTOP, locale="en-GB", timezone_id="UTC")
        context.add_init_script(CSP_RECORDER)
        context.set_default_timeout(15000)
        page = context.new_page()
        session = Session(name=name, context=context, page=page, base_url=live_server.url)
        page.on("request", lambda request: session.requests.append(request.url))
        page.on("console", lambda msg: session.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("dialog", lambda dialog: dialog.accept())
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.context.close()
