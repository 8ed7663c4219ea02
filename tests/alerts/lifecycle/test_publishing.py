"""Publishing an alert through the API (SPEC §2, §6): the draft, its reference, revision 1."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Acknowledgement, Alert, ReferenceCounter, Tool
from alerts.services import alerts as alert_services
from alerts.services.alerts import alert_publish
from exchange.models import Event, User
from tests.alerts.factories import (
    alert_draft_make,
    alert_payload,
)
from tests.alerts.lifecycle.steps import REFERENCE, api_draft, api_published
from tests.factories import Network, tool_authorised_make
from tests.helpers import ApiCaller, assert_problem

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
    draft = api_draft(mhra_api, tool)

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
    alert = api_published(mhra_api, tool)

    response = mhra_api.post(f"/api/v1/alerts/{alert['id']}/publish/")

    assert_problem(response, 409, "conflict")
    assert Alert.objects.get(pk=alert["id"]).reference == alert["reference"]


def test_references_are_distinct_random_and_reveal_no_count(mhra_api: ApiCaller, tool: Tool) -> None:
    references = [api_published(mhra_api, tool)["reference"] for _ in range(6)]

    assert all(REFERENCE.match(ref) for ref in references), references
    assert len(set(references)) == 6
    assert not ReferenceCounter.objects.exists()  # no counter of publications is kept any more


def test_a_colliding_reference_is_drawn_again(
    mhra_api: ApiCaller, tool: Tool, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = api_published(mhra_api, tool)["reference"]
    year = timezone.now().year
    draws = iter([taken, taken, f"SAX-{year}-7K3QZP"])
    monkeypatch.setattr(alert_services, "reference_new", lambda _year: next(draws))

    assert api_published(mhra_api, tool)["reference"] == f"SAX-{year}-7K3QZP"


def test_old_six_digit_references_still_resolve(mhra_api: ApiCaller, tool: Tool, client: Any) -> None:
    alert = api_published(mhra_api, tool, distribution="public")
    Alert.objects.filter(pk=alert["id"]).update(reference="SAX-2025-000123")  # given under the old scheme

    assert mhra_api.get("/api/v1/alerts/SAX-2025-000123/").json()["id"] == alert["id"]
    assert mhra_api.get("/api/v1/alerts/sax-2025-000123/").json()["id"] == alert["id"]
    assert client.get("/public/alerts/SAX-2025-000123/").status_code == 200
    assert client.get("/public/alerts/SAX-2025-000123/cap.xml").status_code == 200


def test_a_new_reference_resolves_as_crockford_reads_it(mhra_api: ApiCaller, tool: Tool) -> None:
    alert = api_published(mhra_api, tool)
    Alert.objects.filter(pk=alert["id"]).update(reference="SAX-2026-10ZZ0A")
    # I and L read as 1, O as 0, any case.
    assert mhra_api.get("/api/v1/alerts/sax-2026-lOzzoa/").json()["id"] == alert["id"]
# --- reference allocation under concurrency ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_get_distinct_references(network: Network, tool: Tool) -> None:
    count = 20
    publishers = [network.mhra.publisher, network.fda.publisher, network.hc.publisher, network.tga.publisher]
    drafts = [
        alert_draft_make(actor=publishers[i % len(publishers)], tools=[tool], title=f"Concurrent alert {i}")
        for i in range(count)
    ]
    year = timezone.now().year
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
    assert all(REFERENCE.match(ref) for ref in references), references  # type: ignore[arg-type]
    assert all(ref.startswith(f"SAX-{year}-") for ref in references)  # type: ignore[union-attr]
    assert len(set(references)) == count


# --- what publishing reads -----------------------------------------------------------------------

# Everything publishing writes (revision, audit entry, event and its feed entries, the acknowledgement
# requests) and reads once each: the draft with its rows under its lock, the tools' authorisations,
# the audience, the matching subscriptions, the signing key, the chain's last entries. The alert's rows
# used to be read again by its facets, its requests and its reliance reviews (34 queries; issue #29).
PUBLISH_QUERIES = 25


def _published_queries(actor: User, tools: list[Tool], jurisdictions: list[str]) -> tuple[int, Alert]:
    draft = alert_draft_make(actor=actor, tools=tools, affected_jurisdictions=jurisdictions)
    with CaptureQueriesContext(connection) as captured:
        published = alert_publish(actor=actor, alert=draft)
    return len(captured.captured_queries), published


def test_publishing_reads_an_alerts_rows_once_however_many_it_has(network: Network, tool: Tool) -> None:
    actor = network.mhra.publisher
    few, _ = _published_queries(actor, [tool], ["GB", "US"])
    tools = [tool_authorised_make(network=network, by=("MHRA", "FDA", "HC", "TGA")) for _ in range(3)]
    many, published = _published_queries(actor, tools, ["GB", "US", "CA", "AU", "SG"])

    assert (few, many) == (PUBLISH_QUERIES, PUBLISH_QUERIES)
    event = Event.objects.get(type="alert.published", object_id=str(published.pk))
    assert event.facets["tools"] == [str(t.pk) for t in tools]
    assert event.facets["jurisdictions"] == ["AU", "CA", "GB", "SG", "US"]
    assert event.facets["authorised_in"] == ["AU", "CA", "GB", "US"]
    asked = set(Acknowledgement.objects.filter(alert=published, requested=True).values_list("member__code", flat=True))
    assert asked == {"FDA", "HC", "TGA"}  # SMC (CH) is in no affected jurisdiction and subscribes to nothing
