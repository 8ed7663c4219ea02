"""What an integrator meets first: the index, 404s for unknown paths, lookup by reference, Location
on creations, a 415 that says what to send, and unknown query parameters refused by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from alerts.models import Tool
from tests.alerts.factories import alert_amended_make, alert_draft_make, alert_payload, alert_published_make
from tests.factories import Network, tool_authorised_make, tool_make
from tests.helpers import ApiCaller, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def tool(network: Network) -> Tool:
    return tool_authorised_make(network=network, by=("MHRA",))


def test_the_index_lists_the_collections_and_each_answers(network: Network, api: Callable[..., ApiCaller],
                                                          anon: ApiCaller) -> None:
    response = anon.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    collections = body["collections"]
    assert {"alerts", "reports", "signals", "tools", "subscriptions", "webhook-endpoints", "events", "inbox",
            "me", "members", "users", "tokens", "deliveries", "notifications"} <= set(collections)
    assert "alerts/counts" not in collections  # an action on a collection, not a collection
    assert body["schema"].endswith("/api/schema/")
    caller = api(network.mhra.admin)
    for name, url in collections.items():
        assert caller.get(url).status_code == 200, name


@pytest.mark.parametrize("path", ["/api/", "/api/v2/alerts/", "/api/v1/no-such-thing/", "/api/v1/alerts/a/b/c/",
                                  "/api/v1/no-such-thing"])
def test_any_unknown_api_path_is_a_404_problem(network: Network, api: Callable[..., ApiCaller], path: str) -> None:
    body = assert_problem(api(network.mhra.viewer).get(path), 404, "not-found")
    assert path in body["detail"]
    assert_problem(ApiCaller(user=None, token=None).post(path, {}), 404, "not-found")


def test_a_path_without_its_trailing_slash_is_redirected_or_named(network: Network,
                                                                 api: Callable[..., ApiCaller]) -> None:
    caller = api(network.mhra.publisher)
    response = caller.get("/api/v1/alerts", {"severity": "high"})
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/alerts/?severity=high"
    body = assert_problem(caller.post("/api/v1/alerts", {}), 404, "not-found")
    assert "/api/v1/alerts/" in body["detail"]


def test_an_alert_is_found_by_its_reference_on_every_route(
    network: Network, tool: Tool, api: Callable[..., ApiCaller]
) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    alert_amended_make(actor=network.mhra.publisher, alert=alert)
    caller = api(network.fda.publisher)
    by_id = caller.get(f"/api/v1/alerts/{alert.pk}/")
    by_reference = caller.get(f"/api/v1/alerts/{alert.reference}/")
    assert by_reference.status_code == 200
    assert by_reference.json() == by_id.json()
    assert by_reference["ETag"] == by_id["ETag"]
    assert caller.get(f"/api/v1/alerts/{alert.reference.lower()}/").json()["id"] == str(alert.pk)
    for route in ("revisions/", "revisions/2/", "acknowledgement/"):
        assert caller.get(f"/api/v1/alerts/{alert.reference}/{route}").json() == \
            caller.get(f"/api/v1/alerts/{alert.pk}/{route}").json(), route
    # Writes too: an amendment by reference, with the ETag read by reference.
    response = api(network.mhra.publisher).post(
        f"/api/v1/alerts/{alert.reference}/amend/", {"change_summary": "Clarified.", "harm": "Later treatment."},
        HTTP_IF_MATCH=by_reference["ETag"],
    )
    assert response.status_code == 200, response.json()
    assert response.json()["revision"] == 3


def test_a_reference_the_caller_may_not_see_is_404(network: Network, tool: Tool,
                                                   api: Callable[..., ApiCaller]) -> None:
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool], distribution="restricted",
                                 recipients=["FDA"])
    assert api(network.fda.viewer).get(f"/api/v1/alerts/{alert.reference}/").status_code == 200
    assert_problem(api(network.hc.viewer).get(f"/api/v1/alerts/{alert.reference}/"), 404, "not-found")
    assert_problem(api(network.hc.viewer).get("/api/v1/alerts/SAX-1999-000001/"), 404, "not-found")


SITE = "https://exchange.example"
HOST = "localhost"  # an allowed host the request arrives on (a proxy's, a caller's): it must show nowhere


@override_settings(SITE_URL=SITE)
def test_a_creation_answers_201_with_the_location_of_what_it_created(
    network: Network, tool: Tool, api: Callable[..., ApiCaller]
) -> None:
    caller = api(network.mhra.admin)
    unauthorised = tool_make(actor=network.mhra.publisher)
    cases = [
        ("/api/v1/alerts/", alert_payload(tools=[tool])),
        ("/api/v1/tokens/", {"name": "CI"}),
        ("/api/v1/users/", {"email": "new.user@mhra.test", "role": "viewer", "name": "New User"}),
        (f"/api/v1/tools/{unauthorised.pk}/authorizations/",
         {"jurisdiction": "GB", "reference": "UKCA-9", "status": "authorised", "date": "2025-01-01"}),
    ]
    for path, body in cases:
        response = caller.post(path, body, HTTP_IDEMPOTENCY_KEY=f"key-{path}", HTTP_HOST=HOST)
        assert response.status_code == 201, (path, response.json())
        location = response["Location"]
        # under SITE_URL, never the host the request came in on
        assert location == f"{SITE}{path}{response.json()['id']}/"
        assert caller.get(urlsplit(location).path).json()["id"] == response.json()["id"]
        replay = caller.post(path, body, HTTP_IDEMPOTENCY_KEY=f"key-{path}", HTTP_HOST=HOST)
        assert replay["Location"] == location  # a replayed creation says the same


def test_an_import_carries_the_location_of_its_first_report(network: Network, tool: Tool,
                                                                  api: Callable[..., ApiCaller]) -> None:
    csv = (
        "report,tool,tool_version,period_start,period_end,setting,country,sample_size,metric,value\n"
        f"r1,{tool.pk},2.1,2026-01-01,2026-03-31,Screening,GB,500,sensitivity,0.9\n"
    )
    with override_settings(SITE_URL=SITE):
        response = api(network.mhra.publisher).post("/api/v1/reports/import/", csv, content_type="text/csv",
                                                    HTTP_HOST=HOST)
    assert response.status_code == 201, response.json()
    assert response["Location"] == f"{SITE}/api/v1/reports/{response.json()['reports'][0]}/"


@override_settings(SITE_URL=SITE)
def test_pages_and_the_index_link_under_site_url_not_the_request_host(
    network: Network, tool: Tool, api: Callable[..., ApiCaller], anon: ApiCaller
) -> None:
    for _ in range(3):
        alert_published_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.fda.viewer)
    first = caller.get("/api/v1/alerts/", {"limit": 1}, HTTP_HOST=HOST).json()
    assert first["next"].startswith(f"{SITE}/api/v1/alerts/?"), first["next"]
    second = caller.get(urlsplit(first["next"]).path + "?" + urlsplit(first["next"]).query, HTTP_HOST=HOST).json()
    assert second["previous"].startswith(f"{SITE}/api/v1/alerts/?"), second["previous"]
    assert second["next"].startswith(f"{SITE}/api/v1/alerts/?")
    assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])

    events = caller.get("/api/v1/events/", {"limit": 1}, HTTP_HOST=HOST).json()
    assert events["next"].startswith(f"{SITE}/api/v1/events/?"), events["next"]

    index = anon.get("/api/v1/", HTTP_HOST=HOST).json()
    urls = [index["schema"], index["docs"], *index["collections"].values()]
    assert all(url.startswith(f"{SITE}/") for url in urls), urls
    assert HOST not in json.dumps([first, second, events, index])


def test_a_415_names_the_media_type_to_send(network: Network, api: Callable[..., ApiCaller]) -> None:
    caller = api(network.mhra.publisher)
    body = assert_problem(caller.post("/api/v1/tools/", "name=x", content_type="text/plain"), 415,
                          "unsupported-media-type")
    assert "application/json" in body["detail"]
    assert "text/plain" in body["detail"]
    body = assert_problem(caller.post("/api/v1/reports/import/", "{}", content_type="application/json"), 415,
                          "unsupported-media-type")
    assert "text/csv" in body["detail"]


@pytest.mark.parametrize(
    ("path", "query", "unknown"),
    [
        ("/api/v1/alerts/", {"page_size": "10"}, ["page_size"]),
        ("/api/v1/alerts/", {"severty": "high", "status": "published"}, ["severty"]),
        ("/api/v1/tools/", {"manufacturer": "x", "clinical": "radiology"}, ["clinical"]),
        ("/api/v1/inbox/", {"severity": "high"}, ["severity"]),
        ("/api/v1/events/", {"after": "0", "since": "1"}, ["since"]),
        ("/api/v1/deliveries/", {"state": "succeeded", "status": "x"}, ["status"]),
    ],
)
def test_an_unknown_query_parameter_on_a_list_is_a_400_naming_it(
    network: Network, api: Callable[..., ApiCaller], path: str, query: dict[str, str], unknown: list[str]
) -> None:
    body = assert_problem(api(network.mhra.admin).get(path, query), 400, "unknown-query-parameter")
    assert sorted(body["errors"]) == unknown
    assert all(name in body["detail"] for name in unknown)


def test_known_query_parameters_are_accepted(network: Network, tool: Tool, api: Callable[..., ApiCaller]) -> None:
    alert_draft_make(actor=network.mhra.publisher, tools=[tool])
    caller = api(network.mhra.admin)
    for path, query in [
        ("/api/v1/alerts/", {"status": "draft", "severity": "high", "search": "nodules", "limit": "5", "format": "json"}),
        ("/api/v1/alerts/counts/", {"status": "draft"}),
        ("/api/v1/tools/", {"clinical_area": "radiology", "search": "Lung"}),
        ("/api/v1/events/", {"after": "0", "limit": "3", "type": "alert.published"}),
        ("/api/v1/deliveries/", {"state": "succeeded", "channel": "webhook"}),
    ]:
        response = caller.get(path, query)
        assert response.status_code == 200, (path, response.json())


def test_every_operation_is_documented_for_integrators(anon: ApiCaller) -> None:
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            summary, description = operation.get("summary", ""), operation.get("description", "")
            if len(summary) < 8 or len(description) < 40:
                undocumented.append(f"{method.upper()} {path}")
    assert not undocumented, "operations without a summary and a description: " + ", ".join(undocumented)
    # Integrators never see our internal specification: the schema does not cite it.
    assert "SPEC" not in json.dumps(schema)


def test_the_main_request_bodies_have_examples(anon: ApiCaller) -> None:
    paths = anon.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path, method in [("/api/v1/alerts/", "post"), ("/api/v1/alerts/{id}/amend/", "post"),
                         ("/api/v1/reports/", "post"), ("/api/v1/subscriptions/", "post"),
                         ("/api/v1/webhook-endpoints/", "post"), ("/api/v1/alerts/{id}/acknowledgement/", "put")]:
        content = paths[path][method]["requestBody"]["content"]["application/json"]
        assert content.get("examples"), f"{method.upper()} {path} has no example body"


def test_the_schema_explains_etags_and_lookup_by_reference(anon: ApiCaller) -> None:
    alert = anon.get("/api/schema/", {"format": "json"}).json()["paths"]["/api/v1/alerts/{id}/"]["get"]
    assert "If-Match" in alert["description"]
    assert "not the revision number" in alert["description"]
    assert "SAX-2026-000018" in alert["parameters"][0]["description"]


def test_an_unknown_path_is_404_even_for_a_session_without_a_csrf_token(network: Network) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(network.mhra.admin)
    assert_problem(client.delete("/api/v1/tokens/0.5/"), 404, "not-found")
