"""The public Atom feed (SPEC §6): public alerts only, readable without login, never anything else."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from rest_framework.test import APIClient

from alerts.models import Alert, Tool
from tests.alerts.factories import (
    alert_amended_make,
    alert_closed_make,
    alert_draft_make,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.factories import Network

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/feeds/alerts.atom"


def _entries(client: APIClient) -> dict[str, dict[str, Any]]:
    response = client.get(FEED)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own response, in a test
    assert root.tag == f"{ATOM}feed"
    entries = {}
    for entry in root.iter(f"{ATOM}entry"):
        guid = entry.findtext(f"{ATOM}id") or ""
        entries[guid.removeprefix("urn:uuid:")] = {
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary") or "",
            "link": entry.find(f"{ATOM}link").get("href"),  # type: ignore[union-attr]
            "categories": [c.get("term") for c in entry.iter(f"{ATOM}category")],
            "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
        }
    return entries


@pytest.fixture
def alerts(network: Network, tool: Tool) -> dict[str, Alert]:
    publisher = network.mhra.publisher
    return {
        "public": alert_published_make(actor=publisher, tools=[tool], distribution="public",
                                       title="Public: missed nodules", severity="critical", alert_type="recall"),
        "public_closed": alert_closed_make(actor=publisher, tools=[tool], distribution="public",
                                           title="Public: resolved drift"),
        "public_withdrawn": alert_withdrawn_make(actor=publisher, tools=[tool], distribution="public",
                                                 title="Public: issued in error"),
        "public_draft": alert_draft_make(actor=publisher, tools=[tool], distribution="public",
                                         title="Secret: public-to-be draft"),
        "network": alert_published_make(actor=publisher, tools=[tool], title="Secret: network only"),
        "restricted": alert_published_make(actor=publisher, tools=[tool], distribution="restricted",
                                           recipients=["FDA"], title="Secret: restricted to FDA"),
    }


def test_the_feed_lists_public_alerts_only_without_login(alerts: dict[str, Alert]) -> None:
    client = APIClient()
    entries = _entries(client)

    assert set(entries) == {str(alerts[k].pk) for k in ("public", "public_closed", "public_withdrawn")}
    public = entries[str(alerts["public"].pk)]
    assert public["title"] == f"{alerts['public'].reference}: Public: missed nodules"
    assert "Severity: Critical" in public["summary"]
    assert "Publisher: MHRA" in public["summary"]
    assert public["categories"] == ["recall", "critical"]
    assert public["link"].endswith(f"/public/alerts/{alerts['public'].reference}/")
    assert public["author"] == "Medicines and Healthcare products Regulatory Agency"
    # Closed and withdrawn public alerts stay, and say so.
    closed = entries[str(alerts["public_closed"].pk)]
    withdrawn = entries[str(alerts["public_withdrawn"].pk)]
    assert closed["title"].startswith("[Closed] ")
    assert "Resolution: Manufacturer released fixed version 2.4.1." in closed["summary"]
    assert withdrawn["title"].startswith("[Withdrawn] ")
    assert "Withdrawn: Issued in error" in withdrawn["summary"]
    # Never a draft (even one meant to be public), a network alert or a restricted one.
    text = client.get(FEED).content.decode()
    assert "Secret:" not in text
    for kind in ("public_draft", "network", "restricted"):
        alert = alerts[kind]
        assert str(alert.pk) not in text
        assert not alert.reference or alert.reference not in text


def test_a_members_session_sees_the_same_public_feed(network: Network, alerts: dict[str, Alert]) -> None:
    client = APIClient()
    client.force_login(network.fda.admin)  # FDA may see the restricted alert elsewhere, not here

    assert set(_entries(client)) == set(_entries(APIClient()))


def test_the_feed_shows_the_latest_revision(network: Network, alerts: dict[str, Alert]) -> None:
    alert_amended_make(actor=network.mhra.publisher, alert=alerts["public"], title="Public: nodules missed (v2)")

    entry = _entries(APIClient())[str(alerts["public"].pk)]

    assert entry["title"] == f"{alerts['public'].reference}: Public: nodules missed (v2)"


def test_widening_to_public_puts_an_alert_in_the_feed(network: Network, alerts: dict[str, Alert]) -> None:
    alert_amended_make(actor=network.mhra.publisher, alert=alerts["network"], distribution="public",
                       change_summary="Relevant to the public.")

    assert str(alerts["network"].pk) in _entries(APIClient())


def test_an_empty_feed_is_still_a_valid_feed(db: None) -> None:
    assert _entries(APIClient()) == {}
