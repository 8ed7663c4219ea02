"""Every absolute link and identifier comes from SITE_URL, never from the request's host (SPEC §6):
FHIR code systems, the CAP sender and its links, the Atom feed, e-mails and webhook bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client, override_settings
from lxml import etree

from alerts.models import Tool
from alerts.notices import alert_notice
from exchange.checks import site_url_check
from exchange.models import Event, PersonalEmail
from exchange.services.deliveries.rendering import email_content, webhook_body
from tests.alerts.factories import alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller

SITE = "https://exchange.example"
HOST = "localhost"  # an allowed host the request arrives on, which must show nowhere
URL = re.compile(r"https?://[^\s\"'<>]+")


def _urls(text: str) -> list[str]:
    return URL.findall(text)


def _only_site_urls(text: str) -> list[str]:
    """The deployment's own URLs in the text (standards' namespaces and code systems aside)."""
    ours = [url for url in _urls(text) if HOST in url or "testserver" in url or url.startswith(SITE)]
    assert ours, text[:500]
    assert all(url.startswith(SITE) for url in ours), [u for u in ours if not u.startswith(SITE)]
    return ours


@pytest.fixture
def public_alert(network: Network, tool: Tool) -> object:
    return alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="public")


@override_settings(SITE_URL=SITE)
def test_cap_and_fhir_exports_use_site_url(network: Network, public_alert: object,
                                           api: Callable[..., ApiCaller]) -> None:
    fda = api(network.fda.viewer)
    alert_id = public_alert.pk  # type: ignore[attr-defined]

    fhir = fda.get(f"/api/v1/alerts/{alert_id}/fhir/", HTTP_HOST=HOST)
    assert fhir.status_code == 200
    systems = {
        identifier["system"]
        for entry in json.loads(fhir.content)["entry"]
        for identifier in entry["resource"].get("identifier", [])
    }
    ours = {system for system in systems if "/ns/" in system}
    assert ours, systems
    assert all(system.startswith(f"{SITE}/ns/") for system in ours), systems
    _only_site_urls(fhir.content.decode())

    cap = fda.get(f"/api/v1/alerts/{alert_id}/cap/", HTTP_HOST=HOST)
    root = etree.fromstring(cap.content)
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert root.findtext("cap:sender", namespaces=ns) == "MHRA@exchange.example"
    assert HOST not in cap.content.decode()
    _only_site_urls(cap.content.decode())

    public_cap = Client().get(f"/public/alerts/{public_alert.reference}/cap.xml", HTTP_HOST=HOST)  # type: ignore[attr-defined]
    assert etree.fromstring(public_cap.content).findtext("cap:sender", namespaces=ns) == "MHRA@exchange.example"
    _only_site_urls(public_cap.content.decode())


@override_settings(SITE_URL=SITE)
def test_the_atom_feed_links_use_site_url(public_alert: object) -> None:
    feed = Client().get("/feeds/alerts.atom", HTTP_HOST=HOST).content.decode()
    links = _only_site_urls(feed)
    assert f"{SITE}/public/alerts/{public_alert.reference}/" in links  # type: ignore[attr-defined]
    assert f"{SITE}/public/alerts/{public_alert.reference}/cap.xml" in links  # type: ignore[attr-defined]
    assert f"{SITE}/feeds/alerts.atom" in links


@override_settings(SITE_URL=SITE)
def test_webhook_bodies_and_e_mails_link_to_the_object_under_site_url(public_alert: object) -> None:
    event = Event.objects.get(object_id=str(public_alert.pk), type="alert.published")  # type: ignore[attr-defined]
    page = f"{SITE}/alerts/{public_alert.pk}/"  # type: ignore[attr-defined]

    assert json.loads(webhook_body(event, 1))["data"]["link"] == page
    _subject, text, html = email_content(event)
    assert page in text
    assert "Severity: High" in text  # words, not the stored code
    assert f'href="{page}"' in html


@override_settings(SITE_URL=SITE)
def test_reminders_and_password_resets_link_under_site_url(network: Network, public_alert: object) -> None:
    from exchange.services.mail import reminder_email_write

    notice = alert_notice(public_alert, what="Acknowledgement overdue", item="problem")  # type: ignore[arg-type]
    reminder_email_write(users=[network.fda.admin], key="site-url-test", notice=notice, reason="A test.")
    written = PersonalEmail.objects.get()
    assert f"{SITE}/alerts/{public_alert.pk}/" in written.text  # type: ignore[attr-defined]
    assert HOST not in written.text + written.html

    Client().post("/accounts/password/reset/", {"email": network.fda.admin.email}, HTTP_HOST=HOST)
    links = _only_site_urls(mail.outbox[-1].body)
    assert links[0].startswith(f"{SITE}/accounts/password/reset/")


def test_the_deploy_check_warns_of_a_local_or_plain_http_site_url() -> None:
    with override_settings(SITE_URL="http://127.0.0.1:8000", SECURE_SSL_REDIRECT=True):
        assert {m.id for m in site_url_check()} == {"sax.W001", "sax.W002"}
    with override_settings(SITE_URL=SITE, SECURE_SSL_REDIRECT=True):
        assert site_url_check() == []
