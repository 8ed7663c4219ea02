"""The portal's search (ranked, highlighted, escaped), related panels and links section (SPEC §10.6)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from alerts.models import AlertLink, Tool
from alerts.templatetags.search_marks import highlight
from exchange.models import AuditEntry, User
from tests.alerts.factories import alert_draft_make, alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.factories import Network
from tests.portal_support import page

__all__ = ["page"]
PLAIN = {"title": "Routine notice", "summary": "Nothing unusual.", "description": "Ordinary.", "hazard": "",
         "harm": "", "recommended_actions": ""}


def _html(client: Client, path: str, data: dict[str, str] | None = None) -> str:
    response = client.get(path, data or {})
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.postgres  # stems: "drifting" marks "drift" and "drifts"
def test_search_results_are_ranked_and_marked(network: Network, tool: Tool, page: Callable[[User], Client]) -> None:
    by = network.mhra.publisher
    in_summary = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "summary": "Zephyrine drifts in triage."})
    in_title = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Zephyrine drift"})
    html = _html(page(network.hc.viewer), "/alerts/", {"search": "zephyrine drifting"})
    assert html.index(f"/alerts/{in_title.pk}/") < html.index(f"/alerts/{in_summary.pk}/")
    assert "<mark>Zephyrine</mark> <mark>drift</mark>" in html  # the title
    assert "<mark>Zephyrine</mark> <mark>drifts</mark> in triage." in html  # the summary's excerpt
    assert "2 alerts" in html


def test_marks_never_open_markup(network: Network, tool: Tool, page: Callable[[User], Client]) -> None:
    alert_published_make(actor=network.mhra.publisher, tools=[tool],
                         **{**PLAIN, "title": "<script>alert(1)</script> zephyrine <b>bold</b>",
                            "summary": "<img src=x onerror=alert(2)> zephyrine"})
    client = page(network.hc.viewer)
    for query in ("zephyrine", "script", "img onerror", "<mark>", "b", "<script>"):
        html = _html(client, "/alerts/", {"search": query})
        assert "<script>alert(1)" not in html
        assert "<img src=x" not in html
        assert "<b>bold" not in html
    html = _html(client, "/alerts/", {"search": "zephyrine"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>zephyrine</mark> &lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt; <mark>zephyrine</mark>" in html
    # The mark of a word inside markup is built from the escaped pieces too.
    assert highlight("<script>x</script>", "script") == "&lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt;"
    assert highlight('"><mark onmouseover=1>', 'mark "><') == "&quot;&gt;&lt;<mark>mark</mark> onmouseover=1&gt;"


def test_portal_search_hides_what_the_member_may_not_see(network: Network, tool: Tool,
                                                          page: Callable[[User], Client]) -> None:
    by = network.mhra.publisher
    alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Obsidian network notice"})
    hidden = alert_published_make(actor=by, tools=[tool], **{**PLAIN, "title": "Obsidian restricted notice"},
                                  distribution="restricted", recipients=["FDA"])
    html = _html(page(network.hc.viewer), "/alerts/", {"search": "obsidian"})
    assert "1 alert" in html
    assert hidden.title not in html
    assert str(hidden.pk) not in html
    assert "2 alerts" in _html(page(network.fda.viewer), "/alerts/", {"search": "obsidian"})
    for query in ('"unterminated', "&|!():*", "x" * 10_000):
        assert page(network.hc.viewer).get("/alerts/", {"search": query}).status_code == 200
        assert page(network.hc.viewer).get("/reports/", {"search": query}).status_code == 200


def test_reports_search_is_marked(network: Network, tool: Tool, other_tool: Tool,
                                  page: Callable[[User], Client]) -> None:
    report_make(by=network.mhra, tool=other_tool, setting="Sepsis ward audit")
    html = _html(page(network.hc.viewer), "/reports/", {"search": "sepsis"})
    assert "<mark>Sepsis</mark> ward audit" in html


def test_related_panels(network: Network, tool: Tool, page: Callable[[User], Client]) -> None:
    fda_alert = alert_published_make(actor=network.fda.publisher, tools=[tool],
                                     title="Missed nodules after scanner firmware update")
    hidden = alert_published_make(actor=network.fda.publisher, tools=[tool], title="Missed nodules (HC only)",
                                  distribution="restricted", recipients=["HC"])
    draft = alert_draft_make(actor=network.mhra.publisher, tools=[tool], title="Nodules missed after firmware update")
    client = page(network.mhra.publisher)
    for path in (f"/alerts/{draft.pk}/edit/", f"/alerts/{draft.pk}/publish/", f"/alerts/{draft.pk}/"):
        html = _html(client, path)
        assert "Before you publish: 1 possibly related alert" in html, path
        assert fda_alert.reference in html
        assert hidden.title not in html
    published = alert_published_make(actor=network.mhra.publisher, tools=[tool], title="Missed nodules again")
    html = _html(client, f"/alerts/{published.pk}/")
    assert "Possibly related alerts" in html
    assert "same tool" in html
    assert fda_alert.reference in html


def test_links_section_add_show_remove(network: Network, tool: Tool, page: Callable[[User], Client]) -> None:
    mine = alert_published_make(actor=network.mhra.publisher, tools=[tool], title="MHRA finding")
    theirs = alert_published_make(actor=network.fda.publisher, tools=[tool], title="FDA finding",
                                  distribution="restricted", recipients=["MHRA"])
    publisher = page(network.mhra.publisher)
    assert "Add the link" in _html(publisher, f"/alerts/{mine.pk}/")
    assert "Add the link" not in _html(page(network.mhra.viewer), f"/alerts/{mine.pk}/")
    response = publisher.post(f"/alerts/{mine.pk}/links/", {"alert": theirs.reference, "kind": "duplicate_of",
                                                            "note": "<i>Same</i> failure"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/alerts/{mine.pk}/#links")
    link = AlertLink.objects.get()
    html = _html(publisher, f"/alerts/{mine.pk}/")
    assert "This alert is a duplicate of" in html
    assert theirs.reference in html
    assert "&lt;i&gt;Same" in html
    # FDA's page says who marked it; HC, which may not see FDA's alert, sees no link on MHRA's alert.
    assert "Marked as a duplicate of this by MHRA" in _html(page(network.fda.viewer), f"/alerts/{theirs.pk}/")
    assert theirs.reference not in _html(page(network.hc.viewer), f"/alerts/{mine.pk}/")
    # A viewer may not remove it; the publisher may.
    assert page(network.mhra.viewer).post(f"/alerts/{mine.pk}/links/{link.pk}/remove/").status_code == 403
    assert publisher.post(f"/alerts/{mine.pk}/links/{link.pk}/remove/").status_code == 302
    assert not AlertLink.objects.exists()
    assert AuditEntry.objects.filter(action__in=["alert.link_created", "alert.link_removed"]).count() == 2
    # A target it may not see: refused without saying whether it exists.
    publisher.post(f"/alerts/{mine.pk}/links/", {"alert": "SAX-2099-999999", "kind": "related"})
    assert "no such alert (or not visible to your member)" in _html(publisher, f"/alerts/{mine.pk}/")
