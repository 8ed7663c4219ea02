"""Links between alerts (SPEC §10.6): create, list, remove, audit, no events, who may, who sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from alerts.models import Alert, AlertLink, Tool
from exchange.models import AuditEntry, Event
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem


def links_url(alert: Alert) -> str:
    return f"/api/v1/alerts/{alert.pk}/links/"


@pytest.fixture
def alerts(network: Network, tool: Tool) -> dict[str, Alert]:
    mhra, fda = network.mhra.publisher, network.fda.publisher
    return {
        "mine": alert_published_make(actor=mhra, tools=[tool], title="MHRA network alert"),
        "fda": alert_published_make(actor=fda, tools=[tool], title="FDA network alert"),
        # MHRA may see it (restricted to MHRA); HC may not.
        "fda_restricted": alert_published_make(actor=fda, tools=[tool], title="FDA restricted alert",
                                               distribution="restricted", recipients=["MHRA"]),
        # MHRA may not see it.
        "fda_secret": alert_published_make(actor=fda, tools=[tool], title="FDA alert for HC",
                                           distribution="restricted", recipients=["HC"]),
        "fda_draft": alert_draft_make(actor=fda, tools=[tool], title="FDA draft"),
    }


def test_create_list_remove_audited_without_events(alerts: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    mhra = callers("MHRA")
    events_before = Event.objects.count()
    created = mhra.post(links_url(alerts["mine"]), {"alert": alerts["fda"].reference, "kind": "duplicate_of",
                                                    "note": "Same finding, reported first by FDA."})
    assert created.status_code == 201, created.content
    link = created.json()
    assert created["Location"].endswith(f"{links_url(alerts['mine'])}{link['id']}/")
    assert link["kind"] == "duplicate_of"
    assert link["direction"] == "outgoing"
    assert link["alert"]["id"] == str(alerts["fda"].pk)
    assert link["source"]["id"] == str(alerts["mine"].pk)
    assert AuditEntry.objects.filter(action="alert.link_created", object_id=str(alerts["mine"].pk)).count() == 1

    assert [row["id"] for row in mhra.get(links_url(alerts["mine"])).json()["results"]] == [link["id"]]
    # The other alert's audience sees it on the other alert, as "marked as a duplicate of this by MHRA".
    seen_by_fda = callers("FDA", "viewer").get(links_url(alerts["fda"])).json()["results"]
    assert [(row["id"], row["direction"], row["label"]) for row in seen_by_fda] == [
        (link["id"], "incoming", "marked as a duplicate of this by MHRA")]

    assert mhra.delete(f"{links_url(alerts['mine'])}{link['id']}/").status_code == 204
    assert not AlertLink.objects.exists()
    removed = AuditEntry.objects.get(action="alert.link_removed")
    assert removed.before["kind"] == "duplicate_of"
    assert removed.object_id == str(alerts["mine"].pk)
    assert Event.objects.count() == events_before  # links are not news
    assert mhra.get(links_url(alerts["mine"])).json()["results"] == []


def test_who_may_link(alerts: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    body = {"alert": str(alerts["fda"].pk), "kind": "related"}
    assert_problem(callers("MHRA", "assessor").post(links_url(alerts["mine"]), body), 403)
    assert_problem(callers("FDA").post(links_url(alerts["mine"]), {**body, "alert": str(alerts["mine"].pk)}), 403)
    assert callers("MHRA", "admin").post(links_url(alerts["mine"]), body).status_code == 201
    link_id = AlertLink.objects.get().pk
    # FDA sees the link (it may see both) but may not remove MHRA's link, from either end.
    assert_problem(callers("FDA").delete(f"{links_url(alerts['fda'])}{link_id}/"), 403)
    assert_problem(callers("FDA").delete(f"{links_url(alerts['mine'])}{link_id}/"), 403)
    assert AlertLink.objects.exists()
    # A draft links too (its publisher, before publishing): to alerts it may see.
    draft_link = callers("FDA").post(links_url(alerts["fda_draft"]), {"alert": alerts["mine"].reference,
                                                                      "kind": "follows_up"})
    assert draft_link.status_code == 201


def test_bad_links_are_400_and_write_nothing(alerts: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    mhra = callers("MHRA")
    url = links_url(alerts["mine"])
    hidden = assert_problem(mhra.post(url, {"alert": str(alerts["fda_secret"].pk), "kind": "related"}), 400)
    missing = assert_problem(mhra.post(url, {"alert": "7d3c1f1e-0000-4000-8000-000000000000", "kind": "related"}),
                             400)
    draft = assert_problem(mhra.post(url, {"alert": str(alerts["fda_draft"].pk), "kind": "related"}), 400)
    # Hidden, a draft of another member and non-existent read alike: nothing is confirmed.
    assert hidden["errors"] == missing["errors"] == draft["errors"]
    assert hidden["detail"] == missing["detail"]
    assert "alert" in assert_problem(mhra.post(url, {"alert": "SAX-2099-999999", "kind": "related"}), 400)["errors"]
    assert "alert" in assert_problem(mhra.post(url, {"alert": "not an id", "kind": "related"}), 400)["errors"]
    assert "alert" in assert_problem(mhra.post(url, {"alert": str(alerts["mine"].pk), "kind": "related"}),
                                     400)["errors"]
    assert "kind" in assert_problem(mhra.post(url, {"alert": str(alerts["fda"].pk), "kind": "merge"}), 400)["errors"]
    assert "note" in assert_problem(mhra.post(url, {"alert": str(alerts["fda"].pk), "kind": "related",
                                                    "note": "x" * 5000}), 400)["errors"]
    assert "note" in assert_problem(mhra.post(url, {"alert": str(alerts["fda"].pk), "kind": "related",
                                                    "note": "a\x00b"}), 400)["errors"]
    assert not AlertLink.objects.exists()
    assert mhra.post(url, {"alert": str(alerts["fda"].pk), "kind": "related"}).status_code == 201
    assert_problem(mhra.post(url, {"alert": str(alerts["fda"].pk), "kind": "duplicate_of"}), 409)
    assert_problem(mhra.delete(f"{url}not-a-uuid/"), 404)
    assert_problem(mhra.delete(f"{url}7d3c1f1e-0000-4000-8000-000000000000/"), 404)
    assert AlertLink.objects.count() == 1


def test_a_link_shows_only_to_members_that_see_both_ends(alerts: dict[str, Alert],
                                                          callers: Callable[..., ApiCaller]) -> None:
    """MHRA links its network alert to an FDA alert restricted to MHRA: HC sees MHRA's alert, not the other."""
    mhra = callers("MHRA")
    created = mhra.post(links_url(alerts["mine"]), {"alert": alerts["fda_restricted"].reference, "kind": "related"})
    assert created.status_code == 201
    link_id = created.json()["id"]
    assert callers("HC").get(links_url(alerts["mine"])).json()["results"] == []
    assert_problem(callers("HC").get(links_url(alerts["fda_restricted"])), 404)
    assert_problem(callers("HC", "admin").delete(f"{links_url(alerts['mine'])}{link_id}/"), 404)
    assert [row["id"] for row in callers("FDA").get(links_url(alerts["fda_restricted"])).json()["results"]] == [link_id]
    assert [row["id"] for row in callers("FDA").get(links_url(alerts["mine"])).json()["results"]] == [link_id]


def test_idempotent_create(alerts: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    mhra = callers("MHRA")
    body = {"alert": str(alerts["fda"].pk), "kind": "related", "note": "See also."}
    first = mhra.post(links_url(alerts["mine"]), body, HTTP_IDEMPOTENCY_KEY="link-1")
    again = mhra.post(links_url(alerts["mine"]), body, HTTP_IDEMPOTENCY_KEY="link-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert AlertLink.objects.count() == 1
