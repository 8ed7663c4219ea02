"""Ranked full-text search (SPEC §10.6): order, hostile queries, visibility, cursors, query counts, fallback.

Run on PostgreSQL (full-text search) and, except where marked `postgres`, on the embedded SQLite default
too (the substring fallback behind the same API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert, Tool
from alerts.search import ALERT_FIELDS, REPORT_FIELDS, SEARCH_RANK, ranked_fallback, ranked_first
from alerts.selectors import alerts_visible_to, reports_visible_to
from tests.alerts.factories import alert_amended_make, alert_draft_make, alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

ALERTS = "/api/v1/alerts/"
REPORTS = "/api/v1/reports/"
PLAIN = {"title": "Routine notice about a radiology tool", "summary": "Nothing unusual was seen.",
         "description": "An ordinary description.", "hazard": "", "harm": "", "recommended_actions": ""}


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def corpus(network: Network, tool: Tool) -> dict[str, Alert]:
    """The word "zephyrine" in the title of the oldest, the summary of the next, the description of the newest."""
    by = network.mhra.publisher
    return {
        "title": alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Zephyrine drift in triage"}),
        "summary": alert_published_make(actor=by, tools=[tool], **{**PLAIN, "summary": "A zephyrine drift."}),
        "description": alert_published_make(actor=by, tools=[tool],
                                            **{**PLAIN, "description": "Zephyrine drifts were found."}),
        "unrelated": alert_published_make(actor=by, tools=[tool], **PLAIN),
    }


def test_title_ranks_above_summary_above_description(corpus: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    """On either database: PostgreSQL's weights and the embedded default's fallback give the same order."""
    expected = [str(corpus[k].pk) for k in ("title", "summary", "description")]
    assert _ids(callers("HC").get(ALERTS, {"search": "zephyrine"})) == expected


@pytest.mark.postgres
def test_words_match_by_their_stems(corpus: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    expected = [str(corpus[k].pk) for k in ("title", "summary", "description")]
    # "drifting" finds "drift" and "drifts", ranked the same way.
    assert _ids(callers("HC").get(ALERTS, {"search": "zephyrine drifting"})) == expected


def test_newest_first_among_equal_ranks(network: Network, tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    by = network.mhra.publisher
    older = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Quillon alert one"})
    newer = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Quillon alert two"})
    assert _ids(callers("FDA").get(ALERTS, {"search": "quillon"})) == [str(newer.pk), str(older.pk)]


def test_an_amendment_is_searchable_at_once(network: Network, tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    by = network.mhra.publisher
    alert = alert_published_make(actor=by, tools=[tool], **PLAIN)
    alert = alert_amended_make(actor=by, alert=alert, summary="Now mentions the marmoset firmware.")
    assert _ids(callers("FDA").get(ALERTS, {"search": "marmoset"})) == [str(alert.pk)]
    # A reference and a publisher's own reference are found whole.
    assert _ids(callers("FDA").get(ALERTS, {"search": alert.reference})) == [str(alert.pk)]
    assert _ids(callers("FDA").get(ALERTS, {"search": alert.publisher_reference})) == [str(alert.pk)]


HOSTILE = [
    '"unterminated', "&|!():*", "a & b | !c", "((( )))", "'", "\\", "::*", "-", "or", "and not", "nodules:*",
    "<script>alert(1)</script>", "%", "_", "x" * 10_000, "zephyrine " * 2_000, "🙂 漢字", "a' OR 1=1 --",
    "$$", "\u200b", "-zephyrine", '"zephyrine drift"',
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_are_200(query: str, corpus: dict[str, Alert], network: Network, tool: Tool,
                                 callers: Callable[..., ApiCaller]) -> None:
    caller = callers("FDA")
    for path in (ALERTS, f"{ALERTS}counts/", REPORTS):
        response = caller.get(path, {"search": query})
        assert response.status_code == 200, (path, response.content[:300])


@pytest.mark.postgres
def test_web_search_syntax(corpus: dict[str, Alert], callers: Callable[..., ApiCaller]) -> None:
    caller = callers("FDA")
    # A phrase: the words next to each other, by their stems ("Zephyrine drifts" too).
    assert _ids(caller.get(ALERTS, {"search": '"zephyrine drift"'})) == [
        str(corpus[k].pk) for k in ("title", "summary", "description")]
    assert _ids(caller.get(ALERTS, {"search": '"drift zephyrine"'})) == []
    assert str(corpus["title"].pk) not in _ids(caller.get(ALERTS, {"search": "zephyrine -triage"}))


def test_nul_is_400_naming_search(callers: Callable[..., ApiCaller]) -> None:
    body = assert_problem(callers("FDA").get(ALERTS, {"search": "zeph\x00yrine"}), 400)
    assert "search" in body["errors"]


def test_hidden_alerts_are_never_found_or_counted(network: Network, tool: Tool,
                                                  callers: Callable[..., ApiCaller]) -> None:
    by = network.mhra.publisher
    shared = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Obsidian network notice"})
    hidden = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Obsidian restricted notice"},
                                  distribution="restricted", recipients=["FDA"])
    draft = alert_draft_make(actor=by, tools=[tool], **{**PLAIN, "title": "Obsidian draft notice"})
    assert set(_ids(callers("HC").get(ALERTS, {"search": "obsidian"}))) == {str(shared.pk)}
    assert callers("HC").get(f"{ALERTS}counts/", {"search": "obsidian"}).json()["total"] == 1
    assert set(_ids(callers("FDA").get(ALERTS, {"search": "obsidian"}))) == {str(shared.pk), str(hidden.pk)}
    assert callers("FDA").get(f"{ALERTS}counts/", {"search": "obsidian restricted"}).json()["total"] == 1
    assert set(_ids(callers("MHRA").get(ALERTS, {"search": "obsidian"}))) == {str(shared.pk), str(hidden.pk),
                                                                               str(draft.pk)}


def test_reports_are_ranked_and_scoped(network: Network, tool: Tool, other_tool: Tool,
                                       callers: Callable[..., ApiCaller]) -> None:
    by_setting = report_make(by=network.mhra, tool=other_tool, setting="Sepsis ward audit")
    by_tool = report_make(by=network.mhra, tool=other_tool, setting="Ward audit",
                          method="Compared with sepsis-3 criteria")
    hidden = report_make(by=network.mhra, tool=other_tool, setting="Sepsis unit", distribution="restricted",
                         recipients=["FDA"])
    # The tool's name ("SepsisWatch") is weight A; "sepsis" in a setting B, in a method C.
    found = _ids(callers("HC").get(REPORTS, {"search": "sepsis"}))
    assert found == [str(by_setting.pk), str(by_tool.pk)]
    assert str(hidden.pk) in _ids(callers("FDA").get(REPORTS, {"search": "sepsis"}))
    assert _ids(callers("HC").get(REPORTS, {"search": "sepsiswatch"})) == [str(by_tool.pk), str(by_setting.pk)]


def test_cursor_pages_follow_the_rank(network: Network, tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    by = network.mhra.publisher
    for index in range(7):  # three ranks, with ties inside each
        where = ("title", "summary", "description")[index % 3]
        alert_published_make(actor=by, tools=[tool], **{**PLAIN, where: f"Kestrel finding {index}"})
    caller = callers("FDA")
    whole = _ids(caller.get(ALERTS, {"search": "kestrel", "limit": 50}))
    assert len(whole) == 7
    paged: list[str] = []
    response = caller.get(ALERTS, {"search": "kestrel", "limit": 2})
    while True:
        paged += _ids(response)
        following = response.json()["next"]
        if not following:
            break
        response = caller.get(following)
    assert paged == whole
    back = caller.get(response.json()["previous"])
    assert _ids(back) == whole[3:5]
    # A cursor of the unsearched list (a date position) is refused, never a 500.
    plain_next = caller.get(ALERTS, {"limit": 1}).json()["next"]
    tampered = plain_next + "&search=kestrel"
    assert caller.get(tampered).status_code == 400


def test_search_list_queries_are_pinned(network: Network, tool: Tool, callers: Callable[..., ApiCaller]) -> None:
    by = network.mhra.publisher
    for index in range(12):
        alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": f"Pelican drift {index}"})
    caller = callers("FDA")
    caller.get(ALERTS)  # the first use of a token records it
    with CaptureQueriesContext(connection) as small:
        assert len(_ids(caller.get(ALERTS, {"search": "pelican", "limit": 2}))) == 2
    with CaptureQueriesContext(connection) as large:
        assert len(_ids(caller.get(ALERTS, {"search": "pelican", "limit": 12}))) == 12
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    assert len(large) <= 8, [q["sql"] for q in large.captured_queries]


def test_fallback_ranks_the_same_order(corpus: dict[str, Alert], network: Network) -> None:
    """The embedded default's substring search, run here on PostgreSQL's rows: same order of fields."""
    visible = alerts_visible_to(member=network.hc.member)
    ranked = ranked_first(ranked_fallback(visible, "Zephyrine", ALERT_FIELDS), "-created_at", "-pk")
    assert list(ranked.values_list("pk", flat=True)) == [corpus[k].pk for k in ("title", "summary", "description")]
    assert all(getattr(alert, SEARCH_RANK) > 0 for alert in ranked)
    assert not ranked_fallback(visible, "&|!():*", ALERT_FIELDS).exists()
    assert ranked_fallback(visible, '"Zephyrine" OR', ALERT_FIELDS).count() == 3  # operators are dropped
    assert not ranked_fallback(reports_visible_to(member=network.hc.member), "zephyrine", REPORT_FIELDS).exists()
