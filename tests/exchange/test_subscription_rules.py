"""What a subscription may say is decided in one place (exchange.services.subscription_rules): the
API, the portal and direct service callers get the same answer and the same message for the same
value; the API's serializer only types the body, and its schema still shows the accepted values."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.test import Client

from exchange.errors import ValidationFailed
from exchange.models import AuditEntry, Subscription
from exchange.services.subscription_rules import MAX_EMAIL_RECIPIENTS, SUBSCRIBABLE_EVENT_TYPES
from exchange.services.subscriptions import subscription_create
from exchange.vocabularies import SEVERITIES
from tests.factories import Network
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db

BODY = {"name": "Rules", "event_types": ["alert.published"], "min_severity": "high"}
PORTAL_FORM = {"name": "Rules", "active": "on", "event_types": ["alert.published"], "min_severity": "high"}


@pytest.fixture
def hc_admin(network: Network, api: Any) -> Any:
    return api(network.hc.admin)


@pytest.mark.parametrize(
    ("api_change", "form_change", "field", "message"),
    [
        ({"publishers": ["NOPE"]}, {"publishers": "NOPE"}, "publishers", "no member with code 'NOPE'"),
        ({"jurisdictions": ["GBR"]}, {"jurisdictions": "GBR"}, "jurisdictions",
         "'GBR' is not an ISO 3166-1 alpha-2 code (or EU)"),
        ({"tools": ["not-a-uuid"]}, {"tools": "not-a-uuid"}, "tools", "'not-a-uuid' is not a tool id (a UUID)"),
        ({"email_recipients": ["not-an-address"]}, {"email_recipients": "not-an-address"}, "email_recipients",
         "'not-an-address' is not an e-mail address"),
    ],
)
def test_the_api_and_the_portal_refuse_a_value_with_the_same_message(
    network: Network, hc_admin: Any, client: Client,
    api_change: dict[str, Any], form_change: dict[str, Any], field: str, message: str,
) -> None:
    problem = assert_problem(hc_admin.post("/api/v1/subscriptions/", {**BODY, **api_change}), 400, "validation-error")
    assert problem["errors"] == {field: [message]}
    assert problem["detail"] == f"{field}: {message}"

    client.force_login(network.hc.admin)
    response = client.post("/subscriptions/new/", {**PORTAL_FORM, **form_change})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())

    with pytest.raises(ValidationFailed) as refused:
        subscription_create(actor=None, member=network.hc.member, **{**BODY, **api_change})
    assert refused.value.errors == {field: [message]}
    assert not Subscription.objects.exists()


def test_every_refused_field_is_named_at_once(hc_admin: Any) -> None:
    body = {**BODY, "alert_types": ["bad"], "jurisdictions": ["GBR"], "min_severity": "severe",
            "email_recipients": [f"a{i}@x.example" for i in range(MAX_EMAIL_RECIPIENTS + 1)]}

    problem = assert_problem(hc_admin.post("/api/v1/subscriptions/", body), 400, "validation-error")

    assert list(problem["errors"]) == ["min_severity", "alert_types", "jurisdictions", "email_recipients"]
    assert problem["errors"]["email_recipients"] == [f"at most {MAX_EMAIL_RECIPIENTS} addresses"]
    assert problem["errors"]["min_severity"] == [f"choose one of {', '.join(SEVERITIES)} (or null)"]


def test_the_serializer_still_refuses_what_has_the_wrong_type(hc_admin: Any) -> None:
    for change, field in [({"event_types": "alert.published"}, "event_types"), ({"active": "maybe"}, "active"),
                          ({"tools": [{"id": 1}]}, "tools"), ({"name": ""}, "name")]:
        problem = assert_problem(hc_admin.post("/api/v1/subscriptions/", {**BODY, **change}), 400, "validation-error")
        assert list(problem["errors"]) == [field], change
    assert not Subscription.objects.exists()


def test_the_api_stores_codes_and_addresses_as_the_service_normalises_them(hc_admin: Any) -> None:
    body = {**BODY, "min_severity": "high", "event_types": ["alert.published", "alert.published"],
            "publishers": ["mhra"], "email_recipients": ["Vigilance@HC.example "]}

    response = hc_admin.post("/api/v1/subscriptions/", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["min_severity"], data["event_types"]) == ("high", ["alert.published"])
    assert (data["publishers"], data["email_recipients"]) == (["MHRA"], ["vigilance@hc.example"])


def test_enumerated_values_are_taken_exactly_and_blank_values_are_refused(hc_admin: Any) -> None:
    for change in [{"min_severity": "HIGH"}, {"event_types": [" alert.published"]}, {"publishers": ["MHRA", ""]},
                   {"jurisdictions": ["  "]}, {"email_recipients": [""]}]:
        problem = assert_problem(hc_admin.post("/api/v1/subscriptions/", {**BODY, **change}), 400, "validation-error")
        assert list(problem["errors"]) == list(change), change
    assert not Subscription.objects.exists()


def test_a_write_that_changes_nothing_leaves_no_audit_entry(hc_admin: Any) -> None:
    created = hc_admin.post("/api/v1/subscriptions/", BODY).json()
    url = f"/api/v1/subscriptions/{created['id']}/"

    assert hc_admin.patch(url, {"min_severity": "high", "name": " Rules "}).status_code == 200
    assert hc_admin.patch(url, {"min_severity": "critical"}).status_code == 200

    actions = list(AuditEntry.objects.filter(object_id=created["id"]).values_list("action", flat=True))
    assert actions == ["subscription.created", "subscription.updated"]


def test_the_schema_shows_the_values_the_service_accepts(anon: Any) -> None:
    schema = anon.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    body = schema["SubscriptionWriteRequest"]["properties"]

    assert schema["EventTypesEnum"]["enum"] == list(SUBSCRIBABLE_EVENT_TYPES)
    assert body["event_types"]["items"] == {"$ref": "#/components/schemas/EventTypesEnum"}
    assert schema["MinSeverityEnum"]["enum"] == list(SEVERITIES)
    assert body["email_recipients"]["maxItems"] == MAX_EMAIL_RECIPIENTS
    assert body["email_recipients"]["items"]["format"] == "email"
    assert body["webhook_endpoints"]["items"]["format"] == "uuid"
    assert body["name"]["maxLength"] == 200
    assert schema["SubscriptionWriteRequest"]["required"] == ["name"]
