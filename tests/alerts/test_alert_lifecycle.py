"""The safety-alert lifecycle through the API (SPEC §2, §6): every transition, allowed and refused."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from alerts.models import Alert, AlertRevision, ReferenceCounter, Tool
from alerts.services.alerts import alert_publish
from tests.alerts.factories import (
    alert_closed_make,
    alert_draft_make,
    alert_payload,
    alert_published_make,
    alert_withdrawn_make,
)
from tests.factories import Network
from tests.helpers import ApiCaller, assert_problem

REFERENCE = re.compile(r"^SAX-(\d{4})-(\d{6})$")


@pytest.fixture
def mhra_api(network: Network, api: Any) -> ApiCaller:
    caller: ApiCaller = api(network.mhra.publisher)
    return caller


def _draft(caller: ApiCaller, tool: Tool, **overrides: Any) -> dict[str, Any]:
    response = caller.post("/api/v1/alerts/", alert_payload(tools=[tool], **overrides))
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def _published(caller: ApiCaller, tool: Tool, **overrides: Any) -> dict[str, Any]:
    draft = _draft(caller, tool, **overrides)
    response = caller.post(f"/api/v1/alerts/{draft['id']}/publish/")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _etag(caller: ApiCaller, alert_id: str) -> str:
    etag: str = caller.get(f"/api/v1/alerts/{alert_id}/")["ETag"]
    return etag


# --- draft → published ---------------------------------------------------------------------------


def test_a_draft_is_created_unpublished(mhra_api: ApiCaller, tool: Tool) -> None:
    response = mhra_api.post("/api/v1/alerts/", alert_payload(tools=[tool]))

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["reference"] is None
    assert body["revision"] == 0
    assert body["publisher"] == "MHRA"
    assert body["published_at"] is None
    assert response["ETag"]


def test_publishing_a_draft_allocates_a_reference_and_revision_1(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = _draft(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{draft['id']}/publish/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "published"
    assert body["revision"] == 1
    match = REFERENCE.match(body["reference"])
    assert match is not None, body["reference"]
    assert int(match.group(1)) == timezone.now().year
    assert body["published_at"] is not None
    revisions = mhra_api.get(f"/api/v1/alerts/{draft['id']}/revisions/").json()["results"]
    assert [r["revision"] for r in revisions] == [1]
    assert revisions[0]["content"]["title"] == draft["title"]


def test_publishing_twice_is_a_conflict(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/publish/")

    assert_problem(response, 409, "conflict")
    assert Alert.objects.get(pk=alert["id"]).reference == alert["reference"]


def test_references_are_distinct_and_increase(mhra_api: ApiCaller, tool: Tool) -> None:
    numbers = [int(REFERENCE.match(_published(mhra_api, tool)["reference"]).group(2)) for _ in range(3)]  # type: ignore[union-attr]

    assert numbers == sorted(numbers)
    assert numbers[1:] == [numbers[0] + 1, numbers[0] + 2]


# --- amendment -----------------------------------------------------------------------------------


def test_amending_a_draft_is_a_conflict(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = _draft(mhra_api, tool)

    response = mhra_api.post(
        f"/api/v1/alerts/{draft['id']}/amend/", {"summary": "x", "change_summary": "y"},
        HTTP_IF_MATCH=_etag(mhra_api, draft["id"]),
    )

    assert_problem(response, 409, "conflict")


def test_amending_without_if_match_is_428(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/", {"summary": "x", "change_summary": "y"})

    body = assert_problem(response, 428, "precondition-required")
    assert "If-Match" in body["errors"]
    assert Alert.objects.get(pk=alert["id"]).revision == 1


def test_amending_with_a_stale_etag_is_412(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = _draft(mhra_api, tool)
    stale = _etag(mhra_api, draft["id"])
    mhra_api.post(f"/api/v1/alerts/{draft['id']}/publish/")

    response = mhra_api.post(
        f"/api/v1/alerts/{draft['id']}/amend/", {"summary": "x", "change_summary": "y"}, HTTP_IF_MATCH=stale
    )

    assert_problem(response, 412, "precondition-failed")
    assert AlertRevision.objects.filter(alert_id=draft["id"]).count() == 1


def test_amending_creates_revision_2_and_keeps_revision_1(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)
    first = mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/1/").json()

    response = mhra_api.post(
        f"/api/v1/alerts/{alert['id']}/amend/",
        {"title": "Missed nodules after firmware 7.2 and 7.3", "severity": "critical",
         "change_summary": "Firmware 7.3 is affected too.", "material": True},
        HTTP_IF_MATCH=_etag(mhra_api, alert["id"]),
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
    alert = _published(mhra_api, tool)
    url = f"/api/v1/alerts/{alert['id']}/amend/"

    minor = mhra_api.post(url, {"summary": "Typo fixed.", "change_summary": "Typo."},
                          HTTP_IF_MATCH=_etag(mhra_api, alert["id"]))
    major = mhra_api.post(url, {"recommended_actions": "Stop using the tool.", "change_summary": "New action.",
                                "material": True}, HTTP_IF_MATCH=minor["ETag"])

    assert (minor.status_code, major.status_code) == (200, 200)
    revisions = mhra_api.get(f"/api/v1/alerts/{alert['id']}/revisions/").json()["results"]
    assert [(r["revision"], r["material"]) for r in revisions] == [(1, True), (2, False), (3, True)]
    assert revisions[1]["changed_fields"] == ["summary"]
    assert revisions[2]["changed_fields"] == ["recommended_actions"]


def test_an_amendment_that_changes_nothing_is_refused(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"title": alert["title"], "change_summary": "Nothing."},
                             HTTP_IF_MATCH=_etag(mhra_api, alert["id"]))

    assert_problem(response, 400)
    assert Alert.objects.get(pk=alert["id"]).revision == 1


@pytest.mark.parametrize(("start", "narrower"), [("network", "restricted"), ("public", "network"),
                                                 ("public", "restricted")])
def test_narrowing_the_distribution_on_amendment_is_refused(
    mhra_api: ApiCaller, tool: Tool, start: str, narrower: str
) -> None:
    alert = _published(mhra_api, tool, distribution=start)
    change: dict[str, Any] = {"distribution": narrower, "change_summary": "Narrow it."}
    if narrower == "restricted":
        change["recipients"] = ["FDA"]

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/", change,
                             HTTP_IF_MATCH=_etag(mhra_api, alert["id"]))

    body = assert_problem(response, 400, "validation-error")
    assert "distribution" in body["errors"]
    assert Alert.objects.get(pk=alert["id"]).distribution == start


def test_widening_the_distribution_on_amendment_is_allowed(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool, distribution="restricted", recipients=["FDA"])

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"distribution": "network", "change_summary": "Relevant to all members."},
                             HTTP_IF_MATCH=_etag(mhra_api, alert["id"]))

    assert response.status_code == 200, response.content
    assert response.json()["distribution"] == "network"
    assert response.json()["recipients"] == []


def test_recipients_of_a_restricted_alert_cannot_be_removed(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool, distribution="restricted", recipients=["FDA", "HC"])

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/amend/",
                             {"recipients": ["HC"], "change_summary": "Drop FDA."},
                             HTTP_IF_MATCH=_etag(mhra_api, alert["id"]))

    body = assert_problem(response, 400)
    assert "recipients" in body["errors"]


# --- close and withdraw --------------------------------------------------------------------------


def test_closing_needs_a_resolution(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)
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


# --- drafts: edit and delete ---------------------------------------------------------------------


def test_a_draft_can_be_edited(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = _draft(mhra_api, tool)

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
    draft = _draft(mhra_api, tool)
    stale = _etag(mhra_api, draft["id"])
    mhra_api.patch(f"/api/v1/alerts/{draft['id']}/", {"title": "First edit"})

    response = mhra_api.patch(f"/api/v1/alerts/{draft['id']}/", {"title": "Second edit"}, HTTP_IF_MATCH=stale)

    assert_problem(response, 412, "precondition-failed")
    assert Alert.objects.get(pk=draft["id"]).title == "First edit"


def test_a_draft_can_be_deleted(mhra_api: ApiCaller, tool: Tool) -> None:
    draft = _draft(mhra_api, tool)

    response = mhra_api.delete(f"/api/v1/alerts/{draft['id']}/")

    assert response.status_code == 204
    assert_problem(mhra_api.get(f"/api/v1/alerts/{draft['id']}/"), 404)
    assert not Alert.objects.filter(pk=draft["id"]).exists()


def test_a_published_alert_cannot_be_edited_or_deleted(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)

    assert_problem(mhra_api.patch(f"/api/v1/alerts/{alert['id']}/", {"title": "Quietly changed"}), 409, "conflict")
    assert_problem(mhra_api.delete(f"/api/v1/alerts/{alert['id']}/"), 409, "conflict")
    stored = Alert.objects.get(pk=alert["id"])
    assert (stored.title, stored.status) == (alert["title"], "published")


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
    alert = _published(mhra_api, tool)

    assert _etag(mhra_api, alert["id"]) == _etag(mhra_api, alert["id"])


def test_if_match_accepts_a_list_and_the_wildcard(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = _published(mhra_api, tool)
    url = f"/api/v1/alerts/{alert['id']}/amend/"

    listed = mhra_api.post(url, {"summary": "One.", "change_summary": "1"},
                           HTTP_IF_MATCH=f'"old-v1", {_etag(mhra_api, alert["id"])}')
    wildcard = mhra_api.post(url, {"summary": "Two.", "change_summary": "2"}, HTTP_IF_MATCH="*")

    assert (listed.status_code, wildcard.status_code) == (200, 200)
    assert wildcard.json()["revision"] == 3


# --- reference allocation under concurrency ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_get_distinct_gap_free_references(network: Network, tool: Tool) -> None:
    count = 20
    publishers = [network.mhra.publisher, network.fda.publisher, network.hc.publisher, network.tga.publisher]
    drafts = [
        alert_draft_make(actor=publishers[i % len(publishers)], tools=[tool], title=f"Concurrent alert {i}")
        for i in range(count)
    ]
    year = timezone.now().year
    before = ReferenceCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def publish(index: int) -> None:
        try:
            start.wait(timeout=10)
            alert_publish(actor=publishers[index % len(publishers)], alert=drafts[index])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    references = list(Alert.objects.filter(pk__in=[d.pk for d in drafts]).values_list("reference", flat=True))
    numbers = sorted(int(REFERENCE.match(ref).group(2)) for ref in references)  # type: ignore[arg-type,union-attr]
    assert all(ref.startswith(f"SAX-{year}-") for ref in references)  # type: ignore[union-attr]
    assert numbers == list(range(before + 1, before + count + 1))
    assert ReferenceCounter.objects.get(year=year).last == before + count
