"""Sign-in at / with e-mail and password, throttled by django-axes; password reset by e-mail;
the security headers every portal page carries (strict CSP, no caching, no framing)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from alerts.models import Alert
from exchange.models import User
from tests.factories import Network
from tests.helpers import ApiCaller

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 7"


@pytest.fixture
def member_user(network: Network) -> User:
    user = network.fda.assessor
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _sign_in(client: Client, email: str, password: str, next_url: str = "/") -> Any:
    return client.post(f"/accounts/login/?next={next_url}", {"username": email, "password": password, "next": next_url})


def test_the_root_asks_for_sign_in_then_shows_the_inbox(member_user: User) -> None:
    client = Client()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    form = client.get("/accounts/login/?next=/").content.decode()
    assert 'type="email"' in form
    assert 'autocomplete="current-password"' in form
    assert 'for="id_username">E-mail address' in form
    response = _sign_in(client, member_user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    inbox = client.get("/")
    assert inbox.status_code == 200
    assert "<h1>Inbox</h1>" in inbox.content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(member_user: User) -> None:
    response = Client().post("/accounts/login/", {"username": member_user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "The e-mail address or password is not right." in response.content.decode()


def test_sign_in_is_paused_after_five_failures_and_the_api_is_unaffected(
    member_user: User, api: Callable[..., ApiCaller]
) -> None:
    client = Client()
    for _ in range(4):
        assert _sign_in(client, member_user.email, "wrong").status_code == 200
    locked = _sign_in(client, member_user.email, "wrong")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    # Even the right password is refused while the pause lasts…
    again = _sign_in(Client(), member_user.email, PASSWORD)
    assert again.status_code == 429
    # …another person signs in as usual, and the user's API token still works.
    other = _sign_in(Client(), "someone@else.test", "wrong")
    assert other.status_code == 200
    assert api(member_user).get("/api/v1/me/").status_code == 200


def test_a_session_of_the_portal_also_works_with_the_api(network: Network) -> None:
    client = Client()
    client.force_login(network.fda.viewer)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["member"]["code"] == "FDA"


def test_password_reset_by_e_mail(member_user: User) -> None:
    client = Client()
    response = client.post("/accounts/password/reset/", {"email": member_user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"http://127.0.0.1:8000(/accounts/password/reset/[^\s]+)", body)
    assert link is not None, body
    form = client.get(link.group(1), follow=True)
    assert "Set a new password" in form.content.decode()
    new_password = "another long passphrase 9"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    assert _sign_in(Client(), member_user.email, new_password).status_code == 302
    # An unknown address is not revealed.
    assert client.post("/accounts/password/reset/", {"email": "nobody@nowhere.test"}).status_code == 302
    assert len(mail.outbox) == 1


def test_every_portal_page_carries_a_strict_policy(
    network: Network, page: Callable[[User], Client], restricted_alert: Alert
) -> None:
    client = page(network.mhra.admin)
    for path in ("/", "/alerts/", f"/alerts/{restricted_alert.pk}/", "/alerts/new/", "/tools/", "/reports/",
                 "/signals/", "/notifications/", "/member/users/", "/subscriptions/", "/webhooks/", "/accounts/"):
        response = client.get(path)
        assert response.status_code == 200, path
        policy = response["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert "style-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert response["X-Frame-Options"] == "DENY"
        html = response.content.decode()
        for inline in ("<script>", " style=", "<style"):
            assert inline not in html, (path, inline)
    login = Client().get("/accounts/login/")
    assert "script-src 'self'" in login["Content-Security-Policy"]
    assert "Content-Security-Policy" in Client().get("/api/v1/me/")
