"""Closing and withdrawing an alert, and editing and deleting a draft, through the API (SPEC §6)."""

from __future__ import annotations

import pytest

from alerts.models import Alert, AlertRevision, Tool
from tests.alerts.factories import (
    alert_closed_make,
    alert_draft_make,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.alerts.lifecycle.steps import api_draft, api_etag, api_published
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

# --- close and withdraw --------------------------------------------------------------------------


def test_closing_needs_a_resolution(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)
    url = f"/api/v1/alerts/{alert['id']}/close/"

    for body in ({}, {"resolution": ""}):
        problem = assert_problem(mhra_api.post(url, body), 400, "validation-error")
        assert "resolution" in problem["errors"]
    response = mhra_api.post(url, {"resolution": "Fixed in version 2.4.1, deployed everywhere."})

    assert response.status_code == 200
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["resolution"] == "Fixed in version 2.4.1, deployed everywhere."
    assert closed["closed_at"] is not None
    assert closed["revision"] == 1


@pytest.mark.parametrize("status", ["draft", "closed", "withdrawn"])
def test_only_a_published_alert_can_be_closed(network: Network, mhra_api: ApiCaller, tool: Tool, status: str) -> None:
    make = {"draft": alert_draft_make, "closed": alert_closed_make, "withdrawn": alert_withdrawn_make}[status]
    alert = make(actor=network.mhra.publisher, tools=[tool])

    response = mhra_api.post(f"/api/v1/alerts/{alert.pk}/close/", {"resolution": "Done."})

    assert_problem(response, 409, "conflict")
    assert Alert.objects.get(pk=alert.pk).status == status


@pytest.mark.parametrize("start", ["published", "closed"])
def test_withdrawing_needs_a_reason_and_works_from_published_or_closed(
    network: Network, mhra_api: ApiCaller, tool: Tool, start: str
) -> None:
    make = alert_published_make if start == "published" else alert_closed_make
    alert = make(actor=network.mhra.publisher, tools=[tool])
    url = f"/api/v1/alerts/{alert.pk}/withdraw/"

    problem = assert_problem(mhra_api.post(url, {}), 400, "validation-error")
    assert "reason" in problem["errors"]
    response = mhra_api.post(url, {"reason": "Issued in error: wrong product."})

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "withdrawn"
    assert body["withdrawal_reason"] == "Issued in error: wrong product."
    assert body["withdrawn_at"] is not None


def test_withdrawing_twice_is_a_conflict(network: Network, mhra_api: ApiCaller, tool: Tool) -> None:
    alert = alert_withdrawn_make(actor=network.mhra.publisher, tools=[tool])

    response = mhra_api.post(f"/api/v1/alerts/{alert.pk}/withdraw/", {"reason": "Again."})

    assert_problem(response, 409, "conflict")


def test_withdrawing_a_draft_is_a_conflict(network: Network, mhra_api: ApiCaller, tool: Tool) -> None:
    alert = alert_draft_make(actor=network.mhra.publisher, tools=[tool])

    response = mhra_api.post(f"/api/v1/alerts/{alert.pk}/withdraw/", {"reason": "Never mind."})

    assert_problem(response, 409, "conflict")


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
def test_amending_a_finished_alert_is_a_conflict(
    network: Network, mhra_api: ApiCaller, tool: Tool, status: str
) -> None:
    make = alert_closed_make if status == "closed" else alert_withdrawn_make
    alert = make(actor=network.mhra.publisher, tools=[tool])

    response = mhra_api.post(f"/api/v1/alerts/{alert.pk}/amend/", {"summary": "x", "change_summary": "y"},
                             HTTP_IF_MATCH=alert.etag)

    assert_problem(response, 409, "conflict")
    assert AlertRevision.objects.filter(alert=alert).count() == 1
# --- drafts: edit and delete ---------------------------------------------------------------------


def test_a_draft_can_be_edited(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = api_draft(mhra_api, tool)

    response = mhra_api.patch(f"/api/v1/alerts/{draft['id']}/",
                              {"title": "Nodules missed on low-dose CT", "distribution": "restricted",
                               "recipients": ["FDA", "HC"]})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["distribution"], body["recipients"]) == (
        "Nodules missed on low-dose CT", "restricted", ["FDA", "HC"])
    assert body["status"] == "draft"
    assert body["summary"] == draft["summary"]  # a PATCH leaves other fields alone


def test_a_draft_edit_with_a_stale_etag_is_412(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = api_draft(mhra_api, tool)
    stale = api_etag(mhra_api, draft["id"])
    mhra_api.patch(f"/api/v1/alerts/{draft['id']}/", {"title": "First edit"})

    response = mhra_api.patch(f"/api/v1/alerts/{draft['id']}/", {"title": "Second edit"}, HTTP_IF_MATCH=stale)

    assert_problem(response, 412, "precondition-failed")
    assert Alert.objects.get(pk=draft["id"]).title == "First edit"


def test_a_draft_can_be_deleted(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = api_draft(mhra_api, tool)

    response = mhra_api.delete(f"/api/v1/alerts/{draft['id']}/")

    assert response.status_code == 204
    assert_problem(mhra_api.get(f"/api/v1/alerts/{draft['id']}/"), 404)
    assert not Alert.objects.filter(pk=draft["id"]).exists()


def test_a_published_alert_cannot_be_edited_or_deleted(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)

    assert_problem(mhra_api.patch(f"/api/v1/alerts/{alert['id']}/", {"title": "Quietly changed"}), 409, "conflict")
    assert_problem(mhra_api.delete(f"/api/v1/alerts/{alert['id']}/"), 409, "conflict")
    stored = Alert.objects.get(pk=alert["id"])
    assert (stored.title, stored.status) == (alert["title"], "published")
