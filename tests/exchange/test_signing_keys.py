"""Members' signing keys (SPEC §8): one per member from its creation, JWKS readable by any member,
rotation that keeps old keys published, and private keys that never leave the service in clear."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
from collections.abc import Callable
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from alerts.models import Tool
from exchange.choices import SigningKeyStatus
from exchange.models import Event, Member, SigningKey
from exchange.services.checkpoints import audit_checkpoint_create
from exchange.services.deliveries import webhook_body
from exchange.services.members import member_create
from exchange.services.provenance import SigningKeyUnreadable, _private_key, sign, signing_key_active
from tests.alerts.factories import alert_amended_make, alert_published_make
from tests.alerts.reports.conftest import report_make
from tests.exchange.test_token_storage import _all_text_in_database
from tests.factories import Network, tool_authorised_make
from tests.helpers import ApiCaller, assert_problem

JWK_FIELDS = {"kty", "crv", "x", "kid", "use", "alg", "status", "created"}


def test_every_member_gets_a_key_when_it_is_created(network: Network, api: Callable[..., ApiCaller]) -> None:
    member = member_create(actor=None, code="SFDA", name="Saudi Food and Drug Authority", country="SA")

    keys = SigningKey.objects.filter(member=member)
    assert [k.status for k in keys] == [SigningKeyStatus.ACTIVE]
    body = api(network.fda.viewer).get("/api/v1/members/SFDA/keys/").json()
    assert [k["kid"] for k in body["keys"]] == [keys[0].kid]


def test_the_jwks_has_exactly_the_public_fields(network: Network, api: Callable[..., ApiCaller]) -> None:
    response = api(network.hc.viewer).get("/api/v1/members/mhra/keys/")

    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert set(key) == JWK_FIELDS
    assert (key["kty"], key["crv"], key["use"], key["alg"], key["status"]) == ("OKP", "Ed25519", "sig", "EdDSA", "active")
    assert len(base64.urlsafe_b64decode(key["x"] + "=")) == 32
    assert "d" not in key


def test_the_network_publishes_its_own_key(network: Network, api: Callable[..., ApiCaller]) -> None:
    signing_key_active(member=None)

    (key,) = api(network.tga.viewer).get("/api/v1/members/NETWORK/keys/").json()["keys"]

    assert key["kid"].startswith("NETWORK-")


def test_keys_need_credentials_and_an_unknown_member_is_404(
    network: Network, api: Callable[..., ApiCaller], anon: ApiCaller
) -> None:
    assert anon.get("/api/v1/members/MHRA/keys/").status_code == 401
    caller = api(network.mhra.viewer)
    for code in ("NOPE", "MHRA%00", "x" * 300, "%E2%9C%93"):
        assert_problem(caller.get(f"/api/v1/members/{code}/keys/"), 404)


def test_network_is_not_a_member_code(network: Network) -> None:
    with pytest.raises(CommandError, match="reserved"):
        call_command("create_member", "NETWORK", "--name", "Impostor", "--country", "GB", stdout=StringIO())


def test_rotation_retires_the_old_key_and_keeps_it_published(network: Network, api: Callable[..., ApiCaller]) -> None:
    old = signing_key_active(member=network.mhra.member)
    out = StringIO()

    call_command("rotate_signing_key", "mhra", stdout=out)

    new = signing_key_active(member=network.mhra.member)
    assert new.kid != old.kid
    assert new.kid in out.getvalue()
    old.refresh_from_db()
    assert old.status == SigningKeyStatus.RETIRED
    assert old.retired_at is not None
    keys = api(network.fda.viewer).get("/api/v1/members/MHRA/keys/").json()["keys"]
    assert [(k["kid"], k["status"]) for k in keys] == [(new.kid, "active"), (old.kid, "retired")]
    assert sign(member=network.mhra.member, payload={"a": 1})["kid"] == new.kid


def test_rotating_an_unknown_member_fails_clearly(network: Network) -> None:
    with pytest.raises(CommandError, match="No member with code 'NOPE'"):
        call_command("rotate_signing_key", "NOPE", stdout=StringIO())


def test_the_network_key_rotates_too(network: Network) -> None:
    old = signing_key_active(member=None)
    call_command("rotate_signing_key", "NETWORK", stdout=StringIO())
    assert signing_key_active(member=None).kid != old.kid


def test_a_private_key_is_bound_to_its_row_and_to_the_secret(network: Network, settings: object) -> None:
    mhra = signing_key_active(member=network.mhra.member)
    fda = signing_key_active(member=network.fda.member)
    # An encrypted key copied onto another member's row does not decrypt there (the kid is bound in).
    SigningKey.objects.filter(pk=fda.pk).update(private_key_encrypted=mhra.private_key_encrypted)
    fda.refresh_from_db()
    with pytest.raises(SigningKeyUnreadable, match=fda.kid):
        sign(member=network.fda.member, payload={"a": 1})
    # Another SIGNING_KEYS_SECRET does not decrypt anything.
    settings.SIGNING_KEYS_SECRET = "another-secret-of-at-least-32-characters!"  # type: ignore[attr-defined]
    with pytest.raises(SigningKeyUnreadable, match="SIGNING_KEYS_SECRET"):
        sign(member=network.mhra.member, payload={"a": 1})


def _private_forms(keys: list[SigningKey]) -> list[str]:
    """Every textual form a leaked Ed25519 private key could take."""
    forms = []
    for key in keys:
        private = _private_key(key)
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        der = private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        forms += [
            raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="), base64.b64encode(der).decode().rstrip("="),
        ]
    return forms


@pytest.fixture
def tool(network: Network) -> Tool:
    return tool_authorised_make(network=network, by=("FDA",))


@pytest.fixture
def provenance_everywhere(
    network: Network, tool: Tool, api: Callable[..., ApiCaller], caplog: pytest.LogCaptureFixture
) -> list[str]:
    """Publish, amend, report, rotate and checkpoint with every logger at DEBUG; return every API
    response body, log line and webhook body that this produced."""
    caplog.set_level(logging.DEBUG)
    alert = alert_published_make(actor=network.mhra.publisher, tools=[tool])
    call_command("rotate_signing_key", "MHRA", stdout=StringIO())
    alert_amended_make(actor=network.mhra.publisher, alert=alert)
    report = report_make(by=network.fda, tool=tool, country="US")
    audit_checkpoint_create()
    reader = api(network.hc.viewer)
    paths = [
        "/api/v1/members/MHRA/keys/", "/api/v1/members/FDA/keys/", "/api/v1/members/NETWORK/keys/",
        f"/api/v1/alerts/{alert.pk}/", f"/api/v1/alerts/{alert.pk}/revisions/", f"/api/v1/reports/{report.pk}/",
        "/api/v1/events/", "/api/v1/audit/checkpoints/", "/api/v1/members/", "/api/schema/?format=json",
    ]
    texts = []
    for path in paths:
        response = reader.get(path)
        assert response.status_code == 200, (path, response.status_code)
        texts.append(response.content.decode())
    texts += [webhook_body(event, 1) for event in Event.objects.all()]
    texts += [record.getMessage() for record in caplog.records]
    return texts


def test_no_private_key_appears_in_any_response_log_line_or_webhook_payload(provenance_everywhere: list[str]) -> None:
    forms = _private_forms(list(SigningKey.objects.all()))
    everything = "\n".join(provenance_everywhere)

    assert "signed_revision" in everything
    assert "jws" in everything
    for form in forms:
        assert form not in everything


@pytest.mark.postgres
def test_the_database_holds_private_keys_only_encrypted(provenance_everywhere: list[str]) -> None:
    keys = list(SigningKey.objects.all())
    assert len(keys) >= 7  # five members, one rotation, the network
    text = _all_text_in_database()

    for key in keys:
        assert key.private_key_encrypted.startswith("v1.")
    for form in _private_forms(keys):
        assert form not in text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_holds_no_private_key(network: Network) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    audit_checkpoint_create()
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    command = [pg_dump, "--data-only", "--no-owner", "-h", str(db["HOST"] or "127.0.0.1"),
               "-p", str(db["PORT"] or 5432), "-U", str(db["USER"]), str(db["NAME"])]

    dump = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=True).stdout

    keys = list(SigningKey.objects.all())
    assert all(key.kid in dump for key in keys)  # the dump really holds the keys' rows
    for form in _private_forms(keys):
        assert form not in dump


def test_the_migration_gives_existing_members_and_the_network_a_key(network: Network) -> None:
    import importlib

    from django.apps import apps

    SigningKey.objects.all().delete()
    migration = importlib.import_module("exchange.migrations.0003_signing_keys_checkpoints")

    migration.give_existing_members_keys(apps, None)

    assert SigningKey.objects.filter(member__isnull=True, status="active").count() == 1
    for member in Member.objects.all():
        assert signing_key_active(member=member).kid.startswith(member.code + "-")
        sign(member=member, payload={"ok": True})  # and it decrypts
