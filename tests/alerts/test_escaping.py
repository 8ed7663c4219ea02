"""Text is stored as given and comes out inert on every surface (SPEC §6): portal, e-mail HTML, Atom, CSV errors."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client

from alerts.models import Alert, Tool
from exchange.models import Event
from exchange.services.deliveries import email_content
from tests.alerts.factories import alert_published_make
from tests.alerts.reports.test_import import csv_text, head
from tests.factories import Network

HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "<script>alert(document.cookie)</script>",
    '"><svg onload=alert(1)>',
    "]]><evil/>",
]
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def hostile_alert(network: Network, tool: Tool) -> Alert:
    return alert_published_make(
        actor=network.mhra.publisher, tools=[tool], distribution="public",
        title=f"Title {HOSTILE[0]}", summary=" ".join(HOSTILE), recommended_actions=HOSTILE[1],
    )


def _inert_html(html: str) -> None:
    for raw in HOSTILE[:3]:
        assert raw not in html, f"{raw!r} reached HTML unescaped"
    for tag in ("<script>alert", "<img src=x", "<svg onload"):
        assert tag not in html


def test_the_atom_feed_carries_plain_text_not_html(hostile_alert: Alert) -> None:
    response = Client().get("/feeds/alerts.atom")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own response, in a test
    entry = next(e for e in root.iter(f"{ATOM}entry") if (e.findtext(f"{ATOM}id") or "").endswith(str(hostile_alert.pk)))
    summary = entry.find(f"{ATOM}summary")
    assert summary is not None
    assert summary.get("type") == "text"
    assert HOSTILE[0] in (summary.text or "")  # the text as given, which a reader shows as text
    title = entry.find(f"{ATOM}title")
    assert title is not None
    assert title.get("type") in (None, "text")
    assert b'type="html"' not in response.content


def test_the_portal_alert_page_escapes_user_text(network: Network, hostile_alert: Alert) -> None:
    client = Client()
    client.force_login(network.fda.viewer)
    for path in (f"/alerts/{hostile_alert.pk}/", "/alerts/", f"/alerts/?search={hostile_alert.reference}"):
        response = client.get(path)
        assert response.status_code == 200, path
        _inert_html(response.content.decode())


def test_the_email_html_part_escapes_user_text(hostile_alert: Alert) -> None:
    event = Event.objects.filter(object_id=str(hostile_alert.pk), type="alert.published").get()
    subject, _text, html = email_content(event)
    _inert_html(html)
    assert "\n" not in subject


def test_csv_error_messages_are_json_and_carry_text_only(network: Network, api: Any, tool: Tool) -> None:
    rows = [{**head(HOSTILE[1], tool, country="<b>X</b>"), "metric": "<script>x</script>", "value": "0.8"}]
    response = api(network.mhra.publisher).post("/api/v1/reports/import/", csv_text(rows), content_type="text/csv")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_cap_and_fhir_exports_carry_the_text_as_text(network: Network, api: Any, hostile_alert: Alert) -> None:
    caller = api(network.fda.viewer)
    cap = caller.get(f"/api/v1/alerts/{hostile_alert.pk}/cap/")
    assert cap.status_code == 200
    root = ElementTree.fromstring(cap.content)  # noqa: S314 - our own response, in a test
    headlines = [el.text or "" for el in root.iter() if el.tag.endswith("headline")]
    assert any(HOSTILE[0] in text for text in headlines)  # the title as given, parsed back as text
    assert b"<img src=x" not in cap.content
    fhir = caller.get(f"/api/v1/alerts/{hostile_alert.pk}/fhir/")
    assert fhir.status_code == 200
    assert fhir["Content-Type"].startswith("application/fhir+json")
    assert HOSTILE[1] in json.dumps(fhir.json(), ensure_ascii=False)  # JSON strings: data, never markup
