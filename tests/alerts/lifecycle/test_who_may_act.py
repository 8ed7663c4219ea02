"""Who may act on an alert through the API (SPEC §2): the publishing member, with the right role and scope."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.models import Alert, Tool
from tests.alerts.factories import (
    alert_draft_make,
    alert_payload,
    alert_published_make,
)
from tests.factories import Network
from tests.helpers import assert_problem

# --- who may act ---------------------------------------------------------------------------------


def test_another_member_acting_on_a_visible_alert_is_403(network: Network, api: Any, tool: Tool) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    fda = api(network.fda.admin)
    base = f"/api/v1/alerts/{alert.pk}"

    assert fda.get(f"{base}/").status_code == 200
    assert_problem(fda.post(f"{base}/publish/"), 403, "forbidden")
    assert_problem(fda.post(f"{base}/amend/", {"summary": "x", "change_summary": "y"}, HTTP_IF_MATCH=alert.etag),
                   403, "forbidden")
    assert_problem(fda.post(f"{base}/close/", {"resolution": "Fixed."}), 403, "forbidden")
    assert_problem(fda.post(f"{base}/withdraw/", {"reason": "Wrong."}), 403, "forbidden")
    assert_problem(fda.patch(f"{base}/", {"title": "Mine now"}), 403, "forbidden")
    assert_problem(fda.delete(f"{base}/"), 403, "forbidden")
    alert.refresh_from_db()
    assert (alert.status, alert.revision, alert.title) == ("published", 1, alert_payload(tools=[tool])["title"])


@pytest.mark.parametrize("kind", ["draft", "restricted"])
def test_another_member_acting_on_an_invisible_alert_is_404(
    network: Network, api: Any, tool: Tool, kind: str
) -> None:
    if kind == "draft":
        alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    else:
        alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                     recipients=["FDA"])
    hc = api(network.hc.admin)
    base = f"/api/v1/alerts/{alert.pk}"

    for response in (
        hc.get(f"{base}/"),
        hc.get(f"{base}/revisions/"),
        hc.get(f"{base}/revisions/1/"),
        hc.post(f"{base}/publish/"),
        hc.post(f"{base}/amend/", {"summary": "x", "change_summary": "y"}, HTTP_IF_MATCH=alert.etag),
        hc.post(f"{base}/close/", {"resolution": "Fixed."}),
        hc.post(f"{base}/withdraw/", {"reason": "Wrong."}),
        hc.patch(f"{base}/", {"title": "Mine now"}),
        hc.delete(f"{base}/"),
    ):
        body = assert_problem(response, 404, "not-found")
        assert alert.title not in response.content.decode()
        assert (alert.reference or "SAX-") not in body["detail"]
    assert Alert.objects.get(pk=alert.pk).status == ("draft" if kind == "draft" else "published")


@pytest.mark.parametrize("role", ["viewer", "assessor"])
def test_viewers_and_assessors_cannot_publish(network: Network, api: Any, tool: Tool, role: str) -> None:
    alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    published = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.users[role])

    assert_problem(caller.post(f"/api/v1/alerts/{alert.pk}/publish/"), 403, "forbidden")
    assert_problem(caller.post(f"/api/v1/alerts/{published.pk}/amend/", {"summary": "x", "change_summary": "y"},
                               HTTP_IF_MATCH=published.etag), 403, "forbidden")
    assert_problem(caller.post(f"/api/v1/alerts/{published.pk}/close/", {"resolution": "x"}), 403, "forbidden")
    assert_problem(caller.post(f"/api/v1/alerts/{published.pk}/withdraw/", {"reason": "x"}), 403, "forbidden")
    assert Alert.objects.get(pk=alert.pk).status == "draft"


def test_a_publishers_token_without_the_publish_scope_cannot_publish(
    network: Network, api: Any, tool: Tool
) -> None:
    alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.publisher, scopes=["read", "draft"])

    assert_problem(caller.post(f"/api/v1/alerts/{alert.pk}/publish/"), 403, "forbidden")


def test_assessors_draft_and_viewers_do_not(network: Network, api: Any, tool: Tool) -> None:
    assert api(network.mhra.assessor).post("/api/v1/alerts/", alert_payload(tools=[tool])).status_code == 201
    assert_problem(api(network.mhra.viewer).post("/api/v1/alerts/", alert_payload(tools=[tool])), 403, "forbidden")


def test_another_user_of_the_publishing_member_may_act(network: Network, api: Any, tool: Tool) -> None:
    alert = alert_draft_make(actor=network.mhra.assessor, tools=[tool])

    response = api(network.mhra.admin).post(f"/api/v1/alerts/{alert.pk}/publish/")

    assert response.status_code == 200
