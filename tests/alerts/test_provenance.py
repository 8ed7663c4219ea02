"""Every revision and report is signed by its publisher, verifiable offline (SPEC §8).

The service signs with `cryptography` directly; these tests verify with another JOSE
implementation (joserfc), using nothing but what a member can fetch: the object's JSON and the
publisher's JWKS at /api/v1/members/{code}/keys/.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785
from django.core.management import call_command
from joserfc import jws
from joserfc.errors import BadSignatureError, InvalidKeyIdError
from joserfc.jwk import KeySet, OKPKey

from alerts.models import Report, Tool
from alerts.services.provenance import revision_verified_key
from exchange.models import Event
from exchange.services.deliveries import webhook_body
from tests.alerts.factories import alert_payload
from tests.alerts.reports.conftest import report_make, report_url
from tests.factories import Network
from tests.helpers import ApiCaller

# SPEC §8 fixes `alg` EdDSA; joserfc prefers RFC 9864's fully-specified "Ed25519" and says so.
pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def b64url_json(segment: str) -> dict[str, Any]:
    import base64

    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return decoded


def verify_offline(reader: ApiCaller, publisher: str, signed: dict[str, Any], signature: dict[str, str]) -> str:
    """Verify as an outside member would: JWKS over HTTP, RFC 8785 of the JSON, joserfc. Returns the kid."""
    jwks = reader.get(f"/api/v1/members/{publisher}/keys/").json()
    keys = KeySet.import_key_set(jwks)
    result = jws.deserialize_compact(
        signature["jws"], keys, algorithms=["EdDSA"], payload=rfc8785.dumps(signed)
    )
    assert result.headers()["kid"] == signature["kid"]
    return signature["kid"]


def without_signature(obj: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in obj.items() if key != "signature"}


@pytest.fixture
def mhra_api(network: Network, api: Callable[..., ApiCaller]) -> ApiCaller:
    caller: ApiCaller = api(network.mhra.publisher)
    return caller


@pytest.fixture
def fda_api(network: Network, api: Callable[..., ApiCaller]) -> ApiCaller:
    caller: ApiCaller = api(network.fda.viewer)
    return caller


def _publish(caller: ApiCaller, tool: Tool, **overrides: Any) -> dict[str, Any]:
    draft = caller.post("/api/v1/alerts/", alert_payload(tools=[tool], **overrides)).json()
    response = caller.post(f"/api/v1/alerts/{draft['id']}/publish/")
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def _amend(caller: ApiCaller, alert_id: str, **changes: Any) -> None:
    etag = caller.get(f"/api/v1/alerts/{alert_id}/")["ETag"]
    response = caller.post(f"/api/v1/alerts/{alert_id}/amend/", {"change_summary": "Clarified.", **changes},
                           HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def _revisions(caller: ApiCaller, alert_id: str) -> list[dict[str, Any]]:
    response = caller.get(f"/api/v1/alerts/{alert_id}/revisions/")
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_every_revision_verifies_with_another_jose_library_from_the_jwks_alone(
    mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool
) -> None:
    alert = _publish(mhra_api, tool, title="Missed nodules after firmware update")
    _amend(mhra_api, alert["id"], summary="Détection réduite — 12 % of nodules ≥ 6 mm missed ✓", material=True)
    _amend(mhra_api, alert["id"], recommended_actions="Double-read every CT since 2026-03-01.\nReport misses.")

    revisions = _revisions(fda_api, alert["id"])  # read by another member, as published to it

    assert [r["revision"] for r in revisions] == [1, 2, 3]
    for revision in revisions:
        signature = revision["signature"]
        assert set(signature) == {"kid", "jws"}
        header, payload, _ = signature["jws"].split(".")
        assert payload == ""  # detached (RFC 7515 Appendix F)
        assert b64url_json(header) == {"alg": "EdDSA", "kid": signature["kid"]}
        assert verify_offline(fda_api, "MHRA", without_signature(revision), signature).startswith("MHRA-")
        # One revision is also readable on its own, identically.
        single = fda_api.get(f"/api/v1/alerts/{alert['id']}/revisions/{revision['revision']}/").json()
        assert single == revision


def test_one_changed_character_breaks_verification(mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool) -> None:
    alert = _publish(mhra_api, tool, title="Missed nodules after firmware update")
    revision = _revisions(fda_api, alert["id"])[0]
    signed = without_signature(revision)
    verify_offline(fda_api, "MHRA", signed, revision["signature"])

    tampered = copy.deepcopy(signed)
    tampered["content"]["title"] = "Missed nodules after firmware updates"
    with pytest.raises(BadSignatureError):
        verify_offline(fda_api, "MHRA", tampered, revision["signature"])

    flipped = copy.deepcopy(signed)
    flipped["material"] = not flipped["material"]
    with pytest.raises(BadSignatureError):
        verify_offline(fda_api, "MHRA", flipped, revision["signature"])


def test_another_members_key_does_not_verify_a_revision(mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool) -> None:
    alert = _publish(mhra_api, tool)
    revision = _revisions(fda_api, alert["id"])[0]

    with pytest.raises(InvalidKeyIdError):  # FDA's JWKS has no key with MHRA's kid
        verify_offline(fda_api, "FDA", without_signature(revision), revision["signature"])
    fda_key = OKPKey.import_key(fda_api.get("/api/v1/members/FDA/keys/").json()["keys"][0])
    with pytest.raises(BadSignatureError):  # and FDA's key, forced, does not verify it
        jws.deserialize_compact(revision["signature"]["jws"], fda_key, algorithms=["EdDSA"],
                                payload=rfc8785.dumps(without_signature(revision)))


def test_a_revision_signed_before_a_key_rotation_still_verifies_after_it(
    mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool
) -> None:
    alert = _publish(mhra_api, tool)
    before = fda_api.get("/api/v1/members/MHRA/keys/").json()["keys"]

    call_command("rotate_signing_key", "MHRA", stdout=open("/dev/null", "w"))  # noqa: SIM115
    _amend(mhra_api, alert["id"], summary="After the rotation.")

    keys = fda_api.get("/api/v1/members/MHRA/keys/").json()["keys"]
    assert len(before) == 1
    assert len(keys) == 2
    assert {k["kid"]: k["status"] for k in keys} == {keys[0]["kid"]: "active", before[0]["kid"]: "retired"}
    first, second = _revisions(fda_api, alert["id"])
    assert first["signature"]["kid"] == before[0]["kid"]
    assert second["signature"]["kid"] == keys[0]["kid"] != before[0]["kid"]
    for revision in (first, second):
        verify_offline(fda_api, "MHRA", without_signature(revision), revision["signature"])


def test_a_report_is_signed_as_published(network: Network, fda_api: ApiCaller, tool: Tool) -> None:
    report = report_make(by=network.mhra, tool=tool)

    body = fda_api.get(report_url(report)).json()

    assert body["signature"]["kid"].startswith("MHRA-")
    signed = body["signed_content"]
    # The report as it was published: the report's JSON without its provenance fields.
    assert signed == {k: v for k, v in body.items() if k not in {"signed_content", "signature"}}
    assert signed["status"] == "published"
    assert signed["metrics"][0]["value"] == 0.81
    verify_offline(fda_api, "MHRA", signed, body["signature"])

    tampered = copy.deepcopy(signed)
    tampered["metrics"][0]["value"] = 0.91
    with pytest.raises(BadSignatureError):
        verify_offline(fda_api, "MHRA", tampered, body["signature"])


def test_a_draft_report_is_not_signed_yet(network: Network, tool: Tool, api: Callable[..., ApiCaller]) -> None:
    report = report_make(by=network.mhra, tool=tool, publish=False)

    body = api(network.mhra.publisher).get(report_url(report)).json()

    assert body["signed_content"] is None
    assert body["signature"] is None


def test_webhook_payloads_carry_the_signed_revision_and_report(
    network: Network, mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool
) -> None:
    alert = _publish(mhra_api, tool)
    _amend(mhra_api, alert["id"], summary="Second revision.")
    mhra_api.post(f"/api/v1/alerts/{alert['id']}/close/", {"resolution": "Fixed in 2.4.1."})
    report_make(by=network.mhra, tool=tool)

    events = Event.objects.filter(type__in=["alert.published", "alert.amended", "alert.closed",
                                            "report.published"]).order_by("sequence")
    assert [e.type for e in events] == ["alert.published", "alert.amended", "alert.closed", "report.published"]
    for event in events:
        data = json.loads(webhook_body(event, 1))["data"]  # exactly what a receiver gets
        if event.type == "report.published":
            verify_offline(fda_api, "MHRA", data["signed_content"], data["signature"])
            continue
        signed_revision = data["signed_revision"]
        assert signed_revision["signature"] == data["signature"]
        assert signed_revision["revision"] == (1 if event.type == "alert.published" else 2)
        verify_offline(fda_api, "MHRA", without_signature(signed_revision), data["signature"])
    # The events feed shows the same data.
    feed = fda_api.get("/api/v1/events/").json()["results"]
    published = next(e for e in feed if e["type"] == "alert.published")
    verify_offline(fda_api, "MHRA", without_signature(published["data"]["signed_revision"]),
                   published["data"]["signature"])


def test_the_server_side_check_names_the_key_and_refuses_a_changed_revision(
    network: Network, mhra_api: ApiCaller, tool: Tool
) -> None:
    from alerts.models import AlertRevision

    alert = _publish(mhra_api, tool)
    revision = AlertRevision.objects.get(alert_id=alert["id"])

    key = revision_verified_key(revision, publisher=network.mhra.member)
    assert key is not None
    assert key.kid == revision.signature["kid"]

    revision.content = {**revision.content, "title": revision.content["title"] + "!"}
    assert revision_verified_key(revision, publisher=network.mhra.member) is None


def test_each_report_is_signed_with_its_own_publishers_key(network: Network, tool: Tool) -> None:
    report_make(by=network.fda, tool=tool, country="US")

    for report in Report.objects.filter(status="published"):
        assert report.signature is not None
        assert report.signature["kid"].startswith(report.publisher.code + "-")


def test_the_migration_signs_what_was_published_before_signatures_existed(
    network: Network, mhra_api: ApiCaller, fda_api: ApiCaller, tool: Tool
) -> None:
    import importlib

    from django.apps import apps

    from alerts.models import AlertRevision

    alert = _publish(mhra_api, tool)
    report = report_make(by=network.mhra, tool=tool)
    AlertRevision.objects.update(signature=None)
    Report.objects.filter(pk=report.pk).update(signature=None, signed_content=None)
    assert _revisions(fda_api, alert["id"])[0]["signature"] is None

    importlib.import_module("alerts.migrations.0007_signatures").sign_what_was_published_before(apps, None)

    revision = _revisions(fda_api, alert["id"])[0]
    verify_offline(fda_api, "MHRA", without_signature(revision), revision["signature"])
    body = fda_api.get(report_url(report)).json()
    assert body["signed_content"] == {k: v for k, v in body.items() if k not in {"signed_content", "signature"}}
    verify_offline(fda_api, "MHRA", body["signed_content"], body["signature"])
