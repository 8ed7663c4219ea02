"""Amending a published alert through the API (SPEC §6): revisions, If-Match and the ETag, distribution."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.models import Alert, AlertRevision, Tool
from tests.alerts.factories import (
    alert_payload,
)
from tests.alerts.lifecycle.steps import api_draft, api_etag, api_published
from tests.helpers import ApiCaller, assert_problem

# --- amendment -----------------------------------------------------------------------------------


def test_amending_a_draft_is_a_conflict(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = api_draft(mhra_api, tool)

    response = mhra_api.post(
        f"/api/v1/alerts/{draft['id']}/amend/", {"summary": "x", "change_summary": "y"},
        HTTP_IF_MATCH=api_etag(mhra_api, draft["id"]),
    )

    assert_problem(response, 409, "conflict")


def test_amending_without_if_match_is_428(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/", {"summary": "x", "change_summary": "y"})

    body = assert_problem(response, 428, "precondition-required")
    assert "If-Match" in body["errors"]
    assert Alert.objects.get(pk=alert["id"]).revision == 1


def test_amending_with_a_stale_etag_is_412(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = api_draft(mhra_api, tool)
    stale = api_etag(mhra_api, draft["id"])
    mhra_api.post(f"/api/v1/alerts/{draft['id']}/publish/")

    response = mhra_api.post(
        f"/api/v1/alerts/{draft['id']}/amend/", {"summary": "x", "change_summary": "y"}, HTTP_IF_MATCH=stale
    )

    assert_problem(response, 412, "precondition-failed")
    assert AlertRevision.objects.filter(alert_id=draft["id"]).count() == 1


def test_amending_creates_revision_2_and_keeps_revision_1(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)
    first = mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/1/").json()

    response = mhra_api.post(
        f"/api/v1/alerts/{alert['id']}/amend/",
        {"title": "Missed nodules after firmware 7.2 and 7.3", "severity": "critical",
         "change_summary": "Firmware 7.3 is affected too.", "material": True},
        HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revision"] == 2
    assert body["title"] == "Missed nodules after firmware 7.2 and 7.3"
    assert body["severity"] == "critical"
    assert body["reference"] == alert["reference"]
    assert body["status"] == "published"
    revisions = mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/").json()["results"]
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[1]["change_summary"] == "Firmware 7.3 is affected too."
    assert revisions[1]["changed_fields"] == ["severity", "title"]
    assert revisions[1]["content"]["title"] == "Missed nodules after firmware 7.2 and 7.3"
    # Revision 1 is immutable: exactly what it was before the amendment.
    assert mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/1/").json() == first
    assert revisions[0]["content"]["title"] == alert["title"]
    assert revisions[0]["content"]["severity"] == "high"


def test_the_material_flag_is_recorded_per_revision(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)
    url = f"/api/v1/alerts/{alert['id']}/amend/"

    minor = mhra_api.post(url, {"summary": "Typo fixed.", "change_summary": "Typo."},
                          HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]))
    major = mhra_api.post(url, {"recommended_actions": "Stop using the tool.", "change_summary": "New action.",
                                "material": True}, HTTP_IF_MATCH=minor["ETag"])

    assert (minor.status_code, major.status_code) == (200, 200)
    revisions = mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/").json()["results"]
    assert [(r["revision"], r["material"]) for r in revisions] == [(1, True), (2, False), (3, True)]
    assert revisions[1]["changed_fields"] == ["summary"]
    assert revisions[2]["changed_fields"] == ["recommended_actions"]


def test_an_amendment_that_changes_nothing_is_refused(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"title": alert["title"], "change_summary": "Nothing."},
                             HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]))

    assert_problem(response, 400)
    assert Alert.objects.get(pk=alert["id"]).revision == 1


@pytest.mark.parametrize(("start", "narrower"), [("network", "restricted"), ("public", "network"),
                                                 ("public", "restricted")])
def test_narrowing_the_distribution_on_amendment_is_refused(
    mhra_api: ApiCaller, tool: Tool, start: str, narrower: str
) -> None:
    alert = api_published(mhra_api, tool, distribution=start)
    change: dict[str, Any] = {"distribution": narrower, "change_summary": "Narrow it."}
    if narrower == "restricted":
        change["recipients"] = ["FDA"]

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/", change,
                             HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]))

    body = assert_problem(response, 400, "validation-error")
    assert "distribution" in body["errors"]
    assert Alert.objects.get(pk=alert["id"]).distribution == start


def test_widening_the_distribution_on_amendment_is_allowed(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool, distribution="restricted", recipients=["FDA"])

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"distribution": "network", "change_summary": "Relevant to all members."},
                             HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]))

    assert response.status_code == 200, response.content
    assert response.json()["distribution"] == "network"
    assert response.json()["recipients"] == []


def test_recipients_of_a_restricted_alert_cannot_be_removed(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool, distribution="restricted", recipients=["FDA", "HC"])

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"recipients": ["HC"], "change_summary": "Drop FDA."},
                             HTTP_IF_MATCH=api_etag(mhra_api, alert["id"]))

    body = assert_problem(response, 400)
    assert "recipients" in body["errors"]
# --- ETag ----------------------------------------------------------------------------------------


def test_every_get_and_action_carries_an_etag_that_changes_with_each_change(
    mhra_api: ApiCaller, tool: Tool
) -> None:
    created = mhra_api.post("/api/v1/alerts/", alert_payload(tools=[tool]))
    url = f"/api/v1/alerts/{created.json()['id']}"
    etags: list[str] = []

    def check(response: Any) -> None:
        assert response.status_code in (200, 201), response.content
        etag = response["ETag"]
        assert etag.startswith('"')
        assert etag.endswith('"')
        etags.append(etag)
        # A GET right after the change carries the ETag the change answered with.
        assert mhra_api.get(f"{url}/")["ETag"] == etag

    check(created)
    check(mhra_api.patch(f"{url}/", {"summary": "Edited draft."}))
    check(mhra_api.post(f"{url}/publish/"))
    check(mhra_api.post(f"{url}/amend/", {"summary": "Amended.", "change_summary": "Clarified."},
                        HTTP_IF_MATCH=etags[-1]))
    check(mhra_api.post(f"{url}/close/", {"resolution": "Resolved."}))
    check(mhra_api.post(f"{url}/withdraw/", {"reason": "Issued in error."}))

    assert len(set(etags)) == len(etags)


def test_a_get_repeated_without_change_keeps_its_etag(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)

    assert api_etag(mhra_api, alert["id"]) == api_etag(mhra_api, alert["id"])


def test_if_match_accepts_a_list_and_the_wildcard(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)
    url = f"/api/v1/alerts/{alert['id']}/amend/"

    listed = mhra_api.post(url, {"summary": "One.", "change_summary": "1"},
                           HTTP_IF_MATCH=f'"old-v1", {api_etag(mhra_api, alert["id"])}')
    wildcard = mhra_api.post(url, {"summary": "Two.", "change_summary": "2"}, HTTP_IF_MATCH="*")

    assert (listed.status_code, wildcard.status_code) == (200, 200)
    assert wildcard.json()["revision"] == 3
