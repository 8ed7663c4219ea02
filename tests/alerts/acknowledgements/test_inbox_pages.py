"""The portal inbox's pages: the total and the rows of a page come from one query (issue #29: the busiest
inbox's filter cost 30 ms at scale 1.0, and a paginator ran it twice), with the same pages as before."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import Alert
from alerts.portal import list_views
from tests.factories import Network


def _titles(body: str) -> list[str]:
    return re.findall(r'lang="en">(Inbox item \d)</a>', body)


@pytest.fixture
def fda(network: Network, publish: Callable[..., Alert], monkeypatch: pytest.MonkeyPatch) -> Client:
    """FDA's viewer, with five alerts awaiting FDA shown two to a page (most urgent first)."""
    for number, severity in enumerate(("critical", "high", "medium", "low", "low"), start=1):
        publish(title=f"Inbox item {number}", severity=severity)
    monkeypatch.setattr(list_views, "INBOX_PAGE", 2)
    client = Client()
    client.force_login(network.fda.viewer)
    return client


def test_each_page_shows_its_rows_and_the_total(fda: Client) -> None:
    pages = {number: fda.get(f"/?page={number}").content.decode() for number in (1, 2, 3)}

    assert [_titles(pages[n]) for n in (1, 2, 3)] == [
        ["Inbox item 1", "Inbox item 2"], ["Inbox item 3", "Inbox item 4"], ["Inbox item 5"],
    ]
    for number, body in pages.items():
        assert '<span class="count">5</span>' in body  # "Needs your action 5"
        assert f"Page {number} of 3 (5 in all)" in body


def test_a_page_past_the_end_or_not_a_number_is_served_as_before(fda: Client) -> None:
    for page in ("9", "0"):  # Django's paginator: the last page
        assert _titles(fda.get(f"/?page={page}").content.decode()) == ["Inbox item 5"]
    for page in ("two", ""):
        assert _titles(fda.get(f"/?page={page}").content.decode()) == ["Inbox item 1", "Inbox item 2"]


def test_the_total_is_read_with_the_rows_not_counted_apart(fda: Client) -> None:
    with CaptureQueriesContext(connection) as captured:
        assert fda.get("/").status_code == 200
    counts = [q["sql"] for q in captured.captured_queries
              if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "alerts_acknowledgement"')]
    assert counts == []


def test_the_navigation_count_stops_reading_at_its_cap(fda: Client) -> None:
    """Counted unordered: sorting the whole inbox first (its default order) read every open answer."""
    with CaptureQueriesContext(connection) as captured:
        body = fda.get("/alerts/").content.decode()
    assert '<span class="nav-count">5<' in body
    capped = [q["sql"] for q in captured.captured_queries
              if q["sql"].startswith('SELECT COUNT(*) FROM (SELECT "alerts_acknowledgement"."id"')]
    assert len(capped) == 1
    assert "ORDER BY" not in capped[0]
    assert capped[0].endswith("LIMIT 100) subquery")


def test_the_inbox_gives_the_navigation_the_count_it_read(fda: Client) -> None:
    with CaptureQueriesContext(connection) as captured:
        body = fda.get("/").content.decode()
    assert '<span class="nav-count">5<' in body
    assert not [q for q in captured.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]

    critical = fda.get("/?show=critical").content.decode()  # a filtered inbox: the navigation counts it all
    assert _titles(critical) == ["Inbox item 1"]
    assert '<span class="nav-count">5<' in critical
