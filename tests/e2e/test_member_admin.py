"""A member's admin in the browser: a webhook endpoint whose test ping shows in the delivery log,
a subscription through it, and an API token shown once and then revoked.

The delivery is sent by the same code a Celery worker runs (fan-out, then `DeliveryPump`), called in
the test process once the browser has asked for the ping, against a real HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from exchange.models import ApiToken, Delivery, WebhookEndpoint
from exchange.services.tokens import token_authenticate
from tests.e2e.conftest import Broker, Session
from tests.factories import Network
from tests.portal_support import PASSWORD, with_password

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]



class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        _Receiver.received.append({"path": self.path, "headers": dict(self.headers), "body": self.rfile.read(length)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_ping_subscription_and_token(
    network: Network, browser_session: Callable[..., Session], receiver: str, no_broker: Broker
) -> None:
    admin_user = network.mhra.admin
    with_password(admin_user)
    admin = browser_session("mhra-admin")
    admin.sign_in(admin_user.email, PASSWORD)
    page = admin.page

    # --- a webhook endpoint, its secret, a test ping and the delivery log ---------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
    admin.check_page("20-webhooks-empty", screenshot=False)
    page.get_by_role("link", name="Add an endpoint").click()
    page.get_by_label("URL").fill("ftp://nowhere")
    page.get_by_role("button", name="Add the endpoint").click()
    assert page.locator(".error-summary").is_visible()  # the service's URL check, as a form error
    admin.check_page("21-endpoint-form-error")
    page.get_by_label("URL").fill(receiver)
    page.get_by_label("Description").fill("Case-management system (test)")
    page.get_by_role("button", name="Add the endpoint").click()
    secret = page.locator("#secret-value").inner_text().strip()
    endpoint = WebhookEndpoint.objects.get(member=network.mhra.member)
    assert secret.startswith("whsec_")
    assert secret == endpoint.secret
    admin.check_page("22-endpoint-secret")
    page.get_by_role("link", name="Go to the endpoint").click()
    page.get_by_role("button", name="Send a test message").click()
    page.wait_for_load_state()
    assert "A test message (ping) is on its way" in page.locator(".messages").inner_text()
    assert "ping" in page.locator("tr.delivery").first.inner_text()

    stats = no_broker.run_worker()  # what the Celery worker does when kicked
    assert stats.succeeded == 1, stats
    assert len(_Receiver.received) == 1
    headers = {key.lower(): value for key, value in _Receiver.received[0]["headers"].items()}
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert headers["webhook-id"] == delivery.webhook_id
    assert headers["webhook-signature"].startswith("v1,")

    page.reload()
    row = page.locator("tr.delivery").first
    assert "ping" in row.inner_text()
    assert "Succeeded" in row.inner_text()
    assert "HTTP 204" in row.inner_text()
    admin.check_page("23-endpoint-delivery-log")
    row.get_by_role("button", name=re.compile("Re-send")).click()
    page.wait_for_load_state()
    assert "being re-sent" in page.locator(".messages").inner_text()
    assert no_broker.run_worker().succeeded == 1
    assert len(_Receiver.received) == 2
    assert {r["headers"].get("webhook-id") for r in _Receiver.received} == {delivery.webhook_id}

    # --- a subscription that sends matches to the endpoint -----------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Subscriptions").click()
    page.get_by_role("link", name="Add a subscription").click()
    page.get_by_label("Name").fill("Critical alerts on our tools")
    page.get_by_role("checkbox", name="Alert published").check()
    page.get_by_label("Minimum severity").select_option("critical")
    page.get_by_role("checkbox", name=receiver).check()
    page.get_by_role("combobox", name=re.compile("^Affected jurisdictions")).fill("United Kingdom")
    page.get_by_role("option", name=re.compile(r"\(GB\)$")).click()
    page.get_by_label("E-mail recipients").fill("safety-desk@mhra.test\nnot-an-address")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    assert summary.locator("li").all_inner_texts() == ["'not-an-address' is not an e-mail address"]
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    admin.check_page("24-subscription-form-error")
    assert page.locator(".picker-chips li", has_text="(GB)").count() == 1  # the choice survived the error
    page.get_by_label("E-mail recipients").fill("safety-desk@mhra.test")
    page.get_by_role("button", name="Save").click()
    assert "Critical alerts on our tools" in page.locator("main").inner_text()
    admin.check_page("25-subscriptions")

    # --- an API token, shown once, then revoked --------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users & tokens").click()
    admin.check_page("26-users-and-tokens")
    page.get_by_role("link", name="Create a token").click()
    page.get_by_label("Name").fill("Case-management system")
    page.get_by_role("checkbox", name="Read").check()
    page.get_by_role("button", name="Create the token").click()
    value = page.locator("#token-value").inner_text().strip()
    assert value.startswith("sax_")
    token = token_authenticate(value)
    assert token is not None
    assert token.scopes == ["read"]
    admin.check_page("27-token-created")
    page.get_by_role("link", name="Back to users and tokens").click()
    assert value not in page.content()  # shown once: only its prefix from now on
    page.get_by_role("button", name=f"Revoke {token.key_prefix}").click()
    page.wait_for_load_state()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None

    assert not admin.foreign_requests(), admin.foreign_requests()
