"""Possibly related alerts (SPEC §10.6): reasons, score, order, visibility, drafts, the SQLite measure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from alerts import related
from alerts.models import Alert, Tool
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem


def _related(caller: ApiCaller, alert: Alert) -> list[dict[str, Any]]:
    response = caller.get(f"/api/v1/alerts/{alert.pk}/related/")
    assert response.status_code == 200, response.content[:300]
    return response.json()["results"]


@pytest.fixture
def cluster(network: Network, tool: Tool, other_tool: Tool) -> dict[str, Alert]:
    mhra, fda = network.mhra.publisher, network.fda.publisher
    return {
        "subject": alert_published_make(actor=mhra, tools=[tool], title="Missed nodules after scanner firmware update",
                                        imdrf_codes=["A0901"]),
        # FDA, the same tool, the same code, nearly the same words: the best match.
        "twin": alert_published_make(actor=fda, tools=[tool], title="Missed nodules after firmware update",
                                     imdrf_codes=["A0901"]),
        # The same tool only.
        "tool_only": alert_published_make(actor=fda, tools=[tool], title="Login page slow to load",
                                          imdrf_codes=[]),
        # Another tool, similar text only.
        "text_only": alert_published_make(actor=fda, tools=[other_tool],
                                          title="Missed nodules after scanner firmware upgrade", imdrf_codes=[]),
        # Nothing in common.
        "stranger": alert_published_make(actor=fda, tools=[other_tool], title="Sepsis score delayed by queue",
                                          imdrf_codes=[]),
        # Would be the best match, but HC may not see it.
        "hidden": alert_published_make(actor=mhra, tools=[tool], title="Missed nodules after scanner firmware update",
                                       imdrf_codes=["A0901"], distribution="restricted", recipients=["FDA"]),
    }


def test_related_with_reasons_best_first(cluster: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    results = _related(callers("HC"), cluster["subject"])
    by_id = {row["alert"]["id"]: row for row in results}
    order = [row["alert"]["id"] for row in results]
    assert order[0] == str(cluster["twin"].pk)
    assert set(by_id[str(cluster["twin"].pk)]["reasons"]) == {"same tool", "IMDRF code A0901", "similar text"}
    assert by_id[str(cluster["tool_only"].pk)]["reasons"] == ["same tool"]
    assert by_id[str(cluster["text_only"].pk)]["reasons"] == ["similar text"]
    assert str(cluster["stranger"].pk) not in by_id
    assert str(cluster["subject"].pk) not in by_id  # never itself
    scores = [row["score"] for row in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)
    assert results[0]["alert"] == {"id": str(cluster["twin"].pk), "reference": cluster["twin"].reference,
                                   "title": cluster["twin"].title, "publisher": "FDA"}


def test_hidden_alerts_are_never_related(cluster: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    assert str(cluster["hidden"].pk) not in {row["alert"]["id"] for row in _related(callers("HC"), cluster["subject"])}
    assert str(cluster["hidden"].pk) in {row["alert"]["id"] for row in _related(callers("FDA"), cluster["subject"])}
    # The hidden alert's own related list is a 404 for HC, as its page is.
    assert_problem(callers("HC").get(f"/api/v1/alerts/{cluster['hidden'].pk}/related/"), 404)


def test_a_draft_is_related_for_its_publisher_only(network: Network, tool: Tool, cluster: dict[str, Alert],
                                                   callers: Callable[..., ApiCaller]) -> None:
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool], title="Nodules missed after firmware update",
                             imdrf_codes=["A0901"])
    found = {row["alert"]["id"] for row in _related(callers("MHRA", "viewer"), draft)}
    assert {str(cluster["twin"].pk), str(cluster["subject"].pk), str(cluster["hidden"].pk)} <= found
    assert_problem(callers("FDA").get(f"/api/v1/alerts/{draft.pk}/related/"), 404)
    # Drafts are never suggested to anyone, their publisher included.
    assert str(draft.pk) not in {row["alert"]["id"] for row in _related(callers("MHRA"), cluster["subject"])}


def test_the_embedded_default_measure(monkeypatch: pytest.MonkeyPatch, cluster: dict[str, Alert],
                                      network: Network) -> None:
    """Without PostgreSQL (here: the vendor check answers "sqlite"), candidates are the newest visible alerts
    and the text measure is the overlap of the titles' words; shared tools and codes are the same."""

    class Sqlite:
        vendor = "sqlite"
        features = connection.features

    monkeypatch.setattr(related, "connection", Sqlite())
    found = related.alerts_related(member=network.hc.member, alert=cluster["subject"])
    by_id = {item.alert.pk: item for item in found}
    assert found[0].alert.pk == cluster["twin"].pk
    assert set(by_id[cluster["twin"].pk].reasons) == {"same tool", "IMDRF code A0901", "similar text"}
    assert by_id[cluster["text_only"].pk].reasons == ["similar text"]
    assert by_id[cluster["tool_only"].pk].reasons == ["same tool"]
    assert cluster["hidden"].pk not in by_id
    assert cluster["stranger"].pk not in by_id
