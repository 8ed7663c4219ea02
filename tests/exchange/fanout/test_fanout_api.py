"""REST API of subscriptions, webhook endpoints, deliveries and notifications (SPEC §6, Appendix A)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from exchange.models import AuditEntry, Delivery, Event, Subscription, WebhookEndpoint
from exchange.services.deliveries import deliveries_claim, deliveries_record
from exchange.transports.base import Outcome
from tests.exchange.fanout.helpers import TOOL_A, fan_out, publish, pump
from tests.factories import Network
from tests.helpers import assert_problem
from tests.integration.receiver import Receiver, Reply

pytestmark = pytest.mark.django_db

APPENDIX_A = {
    "name": "High and critical on tools marketed in Canada",
    "event_types": ["alert.published", "alert.amended"], "alert_types": [], "min_severity": "high",
    "tools": [], "manufacturers": [], "clinical_areas": [], "jurisdictions": [], "publishers": [],
    "authorised_in_my_jurisdiction": True,
    "webhook_endpoints": [], "email_recipients": ["vigilance@hc.example"], "active": True,
}


@pytest.fixture
def hc_admin(network: Network, api: Any) -> Any:
    return api(network.hc.admin)


def new_endpoint(caller: Any, receiver: Receiver, path: str = "/hook") -> dict[str, Any]:
    response = caller.post("/api/v1/webhook-endpoints/", {"url": receiver.url(path), "description": "Case system"})
    assert response.status_code == 201, response.content
    return response.json()


# --- subscriptions ------------------------------------------------------------------------------------


def test_subscribe_with_the_appendix_a_body(network: Network, hc_admin: Any, receiver: Receiver) -> None:
    endpoint = new_endpoint(hc_admin, receiver)
    body = {**APPENDIX_A, "webhook_endpoints": [endpoint["id"]], "tools": [TOOL_A.upper()],
            "manufacturers": [" Acme  Imaging Ltd "], "jurisdictions": ["ca"]}

    response = hc_admin.post("/api/v1/subscriptions/", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["member"] == "HC"
    assert data["webhook_endpoints"] == [endpoint["id"]]
    assert data["tools"] == [TOOL_A]
    assert data["manufacturers"] == ["acme imaging ltd"]
    assert data["jurisdictions"] == ["CA"]
    for field in ("name", "event_types", "alert_types", "min_severity", "authorised_in_my_jurisdiction",
                  "email_recipients", "active", "publishers", "clinical_areas"):
        assert data[field] == body[field], field
    assert hc_admin.get(f"/api/v1/subscriptions/{data['id']}/").json() == data
    assert AuditEntry.objects.filter(action="subscription.created", object_id=data["id"]).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_types": ["alert.deleted"]}, "event_types"),
        ({"alert_types": ["bad"]}, "alert_types"),
        ({"min_severity": "severe"}, "min_severity"),
        ({"tools": ["not-a-uuid"]}, "tools"),
        ({"jurisdictions": ["GBR"]}, "jurisdictions"),
        ({"publishers": ["NOPE"]}, "publishers"),
        ({"email_recipients": ["not an address"]}, "email_recipients"),
        ({"webhook_endpoints": ["6c1f4a52-1111-4a3b-9c9d-000000000000"]}, "webhook_endpoints"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_subscriptions_are_refused_with_field_errors(hc_admin: Any, change: dict[str, Any], field: str) -> None:
    response = hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, **change})

    problem = assert_problem(response, 400)
    assert field in problem["errors"]
    assert not Subscription.objects.exists()


def test_another_members_endpoint_cannot_be_subscribed(network: Network, api: Any, hc_admin: Any, receiver: Receiver) -> None:
    fda_endpoint = new_endpoint(api(network.fda.admin), receiver)

    response = hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "webhook_endpoints": [fda_endpoint["id"]]})

    assert "webhook_endpoints" in assert_problem(response, 400)["errors"]


def test_pause_update_replace_and_delete(hc_admin: Any) -> None:
    created = hc_admin.post("/api/v1/subscriptions/", APPENDIX_A).json()
    url = f"/api/v1/subscriptions/{created['id']}/"

    paused = hc_admin.patch(url, {"active": False})
    assert paused.status_code == 200
    assert paused.json()["active"] is False
    assert paused.json()["min_severity"] == "high"

    replaced = hc_admin.put(url, {"name": "Everything"})
    assert replaced.status_code == 200
    assert replaced.json()["min_severity"] is None
    assert replaced.json()["active"] is True
    assert replaced.json()["email_recipients"] == []

    assert hc_admin.delete(url).status_code == 204
    assert_problem(hc_admin.get(url), 404)
    actions = list(AuditEntry.objects.filter(object_id=created["id"]).values_list("action", flat=True))
    assert actions == ["subscription.created", "subscription.updated", "subscription.updated", "subscription.deleted"]


def test_a_member_sees_and_manages_only_its_own_subscriptions(network: Network, api: Any, hc_admin: Any) -> None:
    created = hc_admin.post("/api/v1/subscriptions/", APPENDIX_A).json()
    fda = api(network.fda.admin)
    url = f"/api/v1/subscriptions/{created['id']}/"

    assert fda.get("/api/v1/subscriptions/").json()["results"] == []
    assert_problem(fda.get(url), 404)
    assert_problem(fda.patch(url, {"active": False}), 404)
    assert_problem(fda.delete(url), 404)
    assert Subscription.objects.get(pk=created["id"]).active is True


def test_viewers_read_subscriptions_and_admins_manage_them(network: Network, api: Any, hc_admin: Any) -> None:
    created = hc_admin.post("/api/v1/subscriptions/", APPENDIX_A).json()
    viewer = api(network.hc.viewer)

    assert viewer.get("/api/v1/subscriptions/").json()["results"][0]["id"] == created["id"]
    assert_problem(viewer.post("/api/v1/subscriptions/", APPENDIX_A), 403)
    assert_problem(viewer.patch(f"/api/v1/subscriptions/{created['id']}/", {"active": False}), 403)
    assert_problem(api(network.hc.publisher).delete(f"/api/v1/subscriptions/{created['id']}/"), 403)


def test_subscriptions_filter_by_event_type_and_state(hc_admin: Any) -> None:
    alerts = hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "event_types": ["alert.published"]}).json()
    everything = hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "event_types": [], "active": False}).json()
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "event_types": ["report.published"]})

    def ids(query: str) -> set[str]:
        return {s["id"] for s in hc_admin.get(f"/api/v1/subscriptions/?{query}").json()["results"]}

    assert ids("event_type=alert.published") == {alerts["id"], everything["id"]}
    assert ids("active=false") == {everything["id"]}
    assert ids("event_type=nonsense") == set()


def test_creating_a_subscription_is_idempotent_with_a_key(hc_admin: Any) -> None:
    first = hc_admin.post("/api/v1/subscriptions/", APPENDIX_A, HTTP_IDEMPOTENCY_KEY="sub-1")
    again = hc_admin.post("/api/v1/subscriptions/", APPENDIX_A, HTTP_IDEMPOTENCY_KEY="sub-1")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Subscription.objects.count() == 1


# --- webhook endpoints --------------------------------------------------------------------------------


def test_register_an_endpoint(hc_admin: Any, receiver: Receiver) -> None:
    data = new_endpoint(hc_admin, receiver)

    assert data["secret"].startswith("whsec_")
    assert data["enabled"] is True
    assert data["disabled_reason"] == ""
    assert {"id", "url", "description", "secret", "enabled", "disabled_reason"} <= set(data)
    audit = AuditEntry.objects.get(action="webhook_endpoint.created")
    assert data["secret"] not in str(audit.after)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/x",
        "https://127.0.0.1/x", "https://2130706433/x", "https://0177.0.0.1/x", "https://0x7f.0.0.1/x",
        "https://127.1/x", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x", "https://10.1.2.3/x",
        "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/x", "https://224.0.0.1/x",
        "https://0.0.0.0/x", "https://localhost/x", "https://user:pw@hooks.example.com/x", "ftp://example.com/x",
    ],
)
def test_unsafe_urls_are_refused_at_save_time(hc_admin: Any, settings: Any, url: str) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    response = hc_admin.post("/api/v1/webhook-endpoints/", {"url": url})

    assert "url" in assert_problem(response, 400)["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted(hc_admin: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])

    response = hc_admin.post("/api/v1/webhook-endpoints/", {"url": "https://hooks.example.com/exchange"})

    assert response.status_code == 201, response.content


def test_endpoints_are_for_admins_of_their_own_member(network: Network, api: Any, hc_admin: Any, receiver: Receiver) -> None:
    endpoint = new_endpoint(hc_admin, receiver)
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/"

    assert_problem(api(network.hc.viewer).get(url), 403)
    fda = api(network.fda.admin)
    for method, path in (("get", url), ("patch", url), ("delete", url), ("post", url + "rotate-secret/"),
                         ("post", url + "test/"), ("get", url + "deliveries/"), ("post", url + "recover/")):
        assert_problem(getattr(fda, method)(path, {"since": "2026-01-01T00:00:00Z"} if "recover" in path else None), 404)
    assert fda.get("/api/v1/webhook-endpoints/").json()["results"] == []


def test_rotate_secret_then_both_sign(network: Network, hc_admin: Any, receiver: Receiver) -> None:
    endpoint = new_endpoint(hc_admin, receiver)
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "webhook_endpoints": [endpoint["id"]],
                                            "authorised_in_my_jurisdiction": False, "min_severity": None})

    rotated = hc_admin.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret/")

    assert rotated.status_code == 200
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"]
    publish()
    pump()
    [request] = receiver.received("/hook")
    Webhook(endpoint["secret"]).verify(request.body, request.headers)
    Webhook(rotated.json()["secret"]).verify(request.body, request.headers)


def test_test_sends_a_ping_to_that_endpoint_only(network: Network, hc_admin: Any, receiver: Receiver) -> None:
    endpoint = new_endpoint(hc_admin, receiver)
    other = new_endpoint(hc_admin, receiver, "/other")
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "event_types": [], "webhook_endpoints": [other["id"]]})

    response = hc_admin.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/test/")

    assert response.status_code == 200
    delivery = response.json()
    assert delivery["event_type"] == "ping"
    assert delivery["endpoint"] == endpoint["id"]
    assert delivery["state"] == "pending"
    fan_out(delivery["event_id"])
    pump()
    [request] = receiver.received()
    assert request.path == "/hook"
    body = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert body["type"] == "ping"
    assert body["data"]["endpoint"] == endpoint["id"]
    shown = hc_admin.get(f"/api/v1/deliveries/{delivery['id']}/").json()
    assert shown["state"] == "succeeded"
    assert shown["attempts"][0]["status_code"] == 200


def test_delivery_json_and_redeliver(network: Network, hc_admin: Any, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    endpoint = new_endpoint(hc_admin, receiver)
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "webhook_endpoints": [endpoint["id"]],
                                            "authorised_in_my_jurisdiction": False})
    receiver.script("/hook", [Reply(500, body=b"boom")])
    event, _ = publish()
    pump()

    [listed] = hc_admin.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/").json()["results"]

    assert {"id", "event_id", "event_type", "endpoint", "state", "attempts", "next_attempt_at"} <= set(listed)
    assert listed["event_id"] == str(event.pk)
    assert listed["event_type"] == "alert.published"
    assert listed["endpoint"] == endpoint["id"]
    assert listed["state"] == "failed"
    assert listed["next_attempt_at"] is None
    [attempt] = listed["attempts"]
    assert {"at", "status_code", "duration_ms", "error"} <= set(attempt)
    assert attempt["status_code"] == 500
    assert attempt["error"] == "HTTP 500"
    assert attempt["response_body"] == "boom"

    redelivered = hc_admin.post(f"/api/v1/deliveries/{listed['id']}/redeliver/")
    assert redelivered.status_code == 200
    assert redelivered.json()["state"] == "pending"
    pump()
    assert [r.webhook_id for r in receiver.received("/hook")] == [listed["webhook_id"]] * 2
    assert hc_admin.get(f"/api/v1/deliveries/{listed['id']}/").json()["state"] == "succeeded"


def test_recover_resends_failed_deliveries_since_a_time(network: Network, hc_admin: Any, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    endpoint = new_endpoint(hc_admin, receiver)
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "webhook_endpoints": [endpoint["id"]],
                                            "authorised_in_my_jurisdiction": False})
    receiver.default = Reply(503)
    for _ in range(3):
        publish()
    pump()
    old = Delivery.objects.filter(endpoint_id=endpoint["id"]).order_by("created_at").first()
    assert old is not None
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    receiver.default = Reply(200)

    response = hc_admin.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/recover/",
                             {"since": (timezone.now() - timedelta(days=1)).isoformat()})

    assert response.status_code == 200
    assert response.json()["recovered"] == 2
    pump()
    states = dict(Delivery.objects.filter(endpoint_id=endpoint["id"]).values_list("pk", "state"))
    assert states.pop(old.pk) == "failed"
    assert set(states.values()) == {"succeeded"}


def test_a_disabled_endpoint_is_enabled_again_by_patch(network: Network, hc_admin: Any, receiver: Receiver) -> None:
    from exchange.services.endpoints import endpoint_disable

    endpoint = new_endpoint(hc_admin, receiver)
    endpoint_disable(endpoint_id=endpoint["id"], reason="The receiver answered 410 Gone.")
    url = f"/api/v1/webhook-endpoints/{endpoint['id']}/"
    shown = hc_admin.get(url).json()
    assert shown["enabled"] is False
    assert "410" in shown["disabled_reason"]
    assert_problem(hc_admin.post(url + "test/"), 409)

    enabled = hc_admin.patch(url, {"enabled": True})

    assert enabled.status_code == 200
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] == ""


def test_deliveries_lists_keep_a_constant_number_of_queries(network: Network, hc_admin: Any, receiver: Receiver) -> None:
    import uuid

    endpoint = new_endpoint(hc_admin, receiver)
    hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "webhook_endpoints": [endpoint["id"]],
                                            "authorised_in_my_jurisdiction": False})

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert hc_admin.get(path).status_code == 200
        return len(queries)

    def fail_all() -> None:
        token = uuid.uuid4()
        claimed = deliveries_claim(token=token, limit=100)
        deliveries_record(token=token, results=[(c, Outcome(timezone.now(), ok=False, error="x")) for c in claimed])

    publish()
    fail_all()
    paths = ["/api/v1/deliveries/", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/", "/api/v1/notifications/",
             "/api/v1/subscriptions/", "/api/v1/webhook-endpoints/"]
    one = [count(path) for path in paths]
    for _ in range(5):
        publish()
    fail_all()
    assert [count(path) for path in paths] == one


# --- notifications ------------------------------------------------------------------------------------


def test_notifications_list_what_matched_newest_first(network: Network, api: Any, hc_admin: Any) -> None:
    subscription = hc_admin.post("/api/v1/subscriptions/", {**APPENDIX_A, "authorised_in_my_jurisdiction": False}).json()
    first, _ = publish(payload={"title": "first"})
    second, _ = publish(payload={"title": "second"})
    publish(audience_kind="members", audience_codes=["MHRA", "FDA"])  # HC may not see it

    listed = api(network.hc.viewer).get("/api/v1/notifications/").json()["results"]

    assert [n["event_id"] for n in listed] == [str(second.pk), str(first.pk)]
    assert listed[0]["type"] == "alert.published"
    assert listed[0]["data"]["title"] == "second"
    assert listed[0]["subscriptions"] == [subscription["id"]]
    assert listed[0]["sequence"] == second.sequence
    assert api(network.fda.admin).get("/api/v1/notifications/").json()["results"] == []
    assert_problem(api(network.fda.admin).get(f"/api/v1/notifications/{listed[0]['id']}/"), 404)
    after = api(network.hc.viewer).get(f"/api/v1/notifications/?after={first.sequence}").json()["results"]
    assert [n["event_id"] for n in after] == [str(second.pk)]
    assert Event.objects.count() == 3
