"""SPEC §3 per surface: who sees which alert on list, detail, search, revisions, counts, events and Atom.

MHRA holds one alert in each visibility state — a draft, a network alert, an alert restricted to FDA
and a public alert — and SMC is suspended. Every title carries the word "Quasar" so that a search
matches all four, and a word of its own so that a search can aim at one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pytest

from alerts.models import Alert, Tool
from exchange.services.members import member_update
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

KINDS = ("draft", "network", "restricted", "public")

# Which of MHRA's alerts each member sees (SPEC §3). SMC is suspended and sees nothing.
EXPECTED: dict[str, set[str]] = {
    "MHRA": {"draft", "network", "restricted", "public"},
    "FDA": {"network", "restricted", "public"},
    "HC": {"network", "public"},
    "TGA": {"network", "public"},
}


@dataclass
class Scenario:
    alerts: dict[str, Alert]

    def kind_of(self, alert_id: str) -> str:
        return next(kind for kind, alert in self.alerts.items() if str(alert.pk) == alert_id)


@pytest.fixture
def scenario(network: Network, tool: Tool) -> Scenario:
    publisher = network.mhra.publisher
    alerts = {
        "draft": alert_draft_make(actor=publisher, tools=[tool], title="Quasar Drafted unreleased notice"),
        "network": alert_published_make(actor=publisher, tools=[tool], title="Quasar Netwide drift notice"),
        "restricted": alert_published_make(
            actor=publisher, tools=[tool], title="Quasar Confidential bias finding",
            distribution="restricted", recipients=["FDA"],
        ),
        "public": alert_published_make(
            actor=publisher, tools=[tool], title="Quasar Openly published recall", distribution="public",
            alert_type="recall", severity="critical",
        ),
    }
    member_update(actor=network.staff, member=network.smc.member, status="suspended")
    return Scenario(alerts=alerts)


@pytest.fixture
def callers(network: Network, api: Any) -> dict[str, ApiCaller]:
    return {code: api(network[code].viewer) for code in ("MHRA", "FDA", "HC", "TGA", "SMC")}


def _kinds(scenario: Scenario, results: list[dict[str, Any]]) -> set[str]:
    ids = {str(alert.pk) for alert in scenario.alerts.values()}
    return {scenario.kind_of(item["id"]) for item in results if item["id"] in ids}


def test_list_shows_exactly_what_the_member_may_see(scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    for code, expected in EXPECTED.items():
        response = callers[code].get("/api/v1/alerts/")

        assert response.status_code == 200
        assert _kinds(scenario, response.json()["results"]) == expected, code


def test_detail_and_revisions_are_404_for_what_the_member_may_not_see(
    scenario: Scenario, callers: dict[str, ApiCaller]
) -> None:
    for code, expected in EXPECTED.items():
        caller = callers[code]
        for kind, alert in scenario.alerts.items():
            detail = caller.get(f"/api/v1/alerts/{alert.pk}/")
            revisions = caller.get(f"/api/v1/alerts/{alert.pk}/revisions/")
            first = caller.get(f"/api/v1/alerts/{alert.pk}/revisions/1/")
            if kind in expected:
                assert detail.status_code == 200, (code, kind)
                assert detail.json()["title"] == alert.title
                assert revisions.status_code == 200, (code, kind)
                assert len(revisions.json()["results"]) == (0 if kind == "draft" else 1)
                assert first.status_code == (404 if kind == "draft" else 200), (code, kind)
            else:
                for response in (detail, revisions, first):
                    assert_problem(response, 404, "not-found")  # never 403: that would confirm it exists
                    assert alert.title not in response.content.decode()


def test_search_finds_only_what_the_member_may_see(scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    words = {"draft": "Drafted", "network": "Netwide", "restricted": "Confidential", "public": "Openly"}
    reference = scenario.alerts["restricted"].reference
    for code, expected in EXPECTED.items():
        caller = callers[code]

        everything = caller.get("/api/v1/alerts/", {"search": "quasar"}).json()["results"]
        assert _kinds(scenario, everything) == expected, code
        for kind, word in words.items():
            found = caller.get("/api/v1/alerts/", {"search": word}).json()["results"]
            assert _kinds(scenario, found) == ({kind} & expected), (code, word)
        by_reference = caller.get("/api/v1/alerts/", {"search": reference}).json()["results"]
        assert _kinds(scenario, by_reference) == ({"restricted"} & expected), code


def test_counts_count_only_what_the_member_may_see(scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    for code, expected in EXPECTED.items():
        body = callers[code].get("/api/v1/alerts/counts/").json()

        assert body["total"] == len(expected), code
        assert body["by_status"] == {
            status: n for status, n in
            {"draft": int("draft" in expected), "published": len(expected - {"draft"})}.items() if n
        }, code
        assert body["by_severity"].get("critical", 0) == int("public" in expected)
        assert sum(body["by_type"].values()) == len(expected)
        restricted = callers[code].get("/api/v1/alerts/counts/", {"search": "Confidential"}).json()
        assert restricted["total"] == int("restricted" in expected), code


def test_events_feed_carries_only_the_members_events(scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    ids = {str(alert.pk): kind for kind, alert in scenario.alerts.items()}
    for code, expected in EXPECTED.items():
        events = [e for e in callers[code].get("/api/v1/events/", {"limit": 1000}).json()["results"]
                  if e["data"].get("id") in ids]

        assert {ids[e["data"]["id"]] for e in events} == expected - {"draft"}, code  # a draft has no events
        assert all(e["type"] == "alert.published" for e in events)


def test_a_suspended_member_gets_403_everywhere_and_sees_nothing(
    network: Network, scenario: Scenario, callers: dict[str, ApiCaller], api: Any, tool: Tool
) -> None:
    smc = callers["SMC"]
    public = scenario.alerts["public"]
    own = Alert.objects.filter(publisher=network.smc.member)

    for response in (
        smc.get("/api/v1/alerts/"),
        smc.get("/api/v1/alerts/", {"search": "quasar"}),
        smc.get(f"/api/v1/alerts/{public.pk}/"),
        smc.get(f"/api/v1/alerts/{public.pk}/revisions/"),
        smc.get("/api/v1/alerts/counts/"),
        smc.get("/api/v1/events/"),
        api(network.smc.publisher).post("/api/v1/alerts/", {"title": "x"}),
        api(network.smc.publisher).post(f"/api/v1/alerts/{public.pk}/close/", {"resolution": "x"}),
    ):
        body = assert_problem(response, 403, "forbidden")
        assert "Quasar" not in response.content.decode()
        assert "suspended" in body["detail"]
    assert not own.exists()


def test_a_suspended_member_that_is_a_recipient_still_sees_nothing(
    network: Network, tool: Tool, callers: dict[str, ApiCaller]
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                 recipients=["FDA", "SMC"])
    member_update(actor=network.staff, member=network.smc.member, status="suspended")

    assert_problem(callers["SMC"].get(f"/api/v1/alerts/{alert.pk}/"), 403)
    assert callers["FDA"].get(f"/api/v1/alerts/{alert.pk}/").status_code == 200


def test_a_reinstated_member_sees_again(network: Network, scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    member_update(actor=network.staff, member=network.smc.member, status="active")

    response = callers["SMC"].get("/api/v1/alerts/")

    assert response.status_code == 200
    assert _kinds(scenario, response.json()["results"]) == {"network", "public"}


def test_the_atom_feed_shows_public_alerts_only_and_needs_no_login(scenario: Scenario, anon: ApiCaller) -> None:
    response = anon.get("/feeds/alerts.atom")

    assert response.status_code == 200
    text = response.content.decode()
    ids = {entry.findtext("{http://www.w3.org/2005/Atom}id")
           for entry in ElementTree.fromstring(text).iter("{http://www.w3.org/2005/Atom}entry")}  # noqa: S314
    assert ids == {f"urn:uuid:{scenario.alerts['public'].pk}"}
    for kind in ("draft", "network", "restricted"):
        alert = scenario.alerts[kind]
        assert str(alert.pk) not in text
        assert alert.title not in text
        assert not alert.reference or alert.reference not in text


def test_the_api_needs_credentials(scenario: Scenario, anon: ApiCaller) -> None:
    for path in ("/api/v1/alerts/", f"/api/v1/alerts/{scenario.alerts['public'].pk}/", "/api/v1/alerts/counts/",
                 "/api/v1/events/"):
        response = anon.get(path)
        assert_problem(response, 401)
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "quasar" not in response.content.decode().lower()


def test_an_unknown_or_malformed_id_is_404_like_an_invisible_one(scenario: Scenario, callers: dict[str, ApiCaller]) -> None:
    for alert_id in (uuid.uuid4(), "not-a-uuid", scenario.alerts["restricted"].pk):
        for path in (f"/api/v1/alerts/{alert_id}/", f"/api/v1/alerts/{alert_id}/revisions/"):
            assert_problem(callers["HC"].get(path), 404, "not-found")
