"""Signed audit checkpoints (SPEC §8) and `verify_audit_log --checkpoint FILE` (SPEC §6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from joserfc import jws
from joserfc.jwk import KeySet

from exchange.choices import AudienceKind
from exchange.models import AuditEntry, Event, Subscription
from exchange.services.audit import entry_hash
from exchange.services.checkpoints import audit_checkpoint_create
from exchange.services.subscriptions import subscriptions_matching
from exchange.tasks import audit_checkpoint
from tests.factories import Network, authorization_make, tool_make
from tests.helpers import ApiCaller

pytestmark = pytest.mark.filterwarnings("ignore:EdDSA is deprecated")


def _work(network: Network, times: int = 1) -> None:
    """Audited changes through the services."""
    for _ in range(times):
        tool = tool_make(actor=network.mhra.publisher)
        authorization_make(actor=network.mhra.publisher, tool=tool)


def _checkpoint_file(tmp_path: Path, reader: ApiCaller) -> tuple[Path, dict[str, Any]]:
    """What a member keeps: the data of the audit.checkpoint event as its events feed gave it."""
    events = reader.get("/api/v1/events/?type=audit.checkpoint").json()["results"]
    data: dict[str, Any] = events[-1]["data"]
    path = tmp_path / f"checkpoint-{data['entry_id']}.json"
    path.write_text(json.dumps(data))
    return path, data


def _verify(path: Path) -> str:
    out = StringIO()
    call_command("verify_audit_log", "--checkpoint", str(path), stdout=out)
    return out.getvalue()


def _fails(path: Path) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_log", "--checkpoint", str(path), stdout=StringIO())
    return str(caught.value)


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_task_signs_the_head_and_sends_it_to_every_member(
    network: Network, api: Callable[..., ApiCaller]
) -> None:
    _work(network)
    head = AuditEntry.objects.order_by("-id").first()
    assert head is not None

    assert audit_checkpoint.apply().get() == head.id  # the beat task, run in-process

    event = Event.objects.get(type="audit.checkpoint")
    assert event.audience_kind == AudienceKind.NETWORK
    data = event.payload
    assert set(data) == {"entry_id", "entry_hash", "created_at", "jws"}
    assert (data["entry_id"], data["entry_hash"]) == (head.id, head.hash)
    # Verified offline with joserfc and the NETWORK JWKS: the payload is the canonical JSON of the other three.
    reader = api(network.smc.viewer)
    keys = KeySet.import_key_set(reader.get("/api/v1/members/NETWORK/keys/").json())
    signed = {k: data[k] for k in ("entry_id", "entry_hash", "created_at")}
    jws.deserialize_compact(data["jws"], keys, algorithms=["EdDSA"], payload=rfc8785.dumps(signed))
    # Every member sees it in its feed.
    for code in ("MHRA", "FDA", "HC", "TGA", "SMC"):
        feed = api(network[code].viewer).get("/api/v1/events/?type=audit.checkpoint").json()["results"]
        assert [e["data"]["entry_id"] for e in feed] == [head.id]


def test_nothing_new_means_no_new_checkpoint(network: Network) -> None:
    first = audit_checkpoint_create()
    assert first is not None
    assert audit_checkpoint_create() is None
    _work(network)
    second = audit_checkpoint_create()
    assert second is not None
    assert second.entry_id > first.entry_id
    assert Event.objects.filter(type="audit.checkpoint").count() == 2


@pytest.mark.django_db(transaction=True)  # the lock is another session's: this one's must be released
def test_a_tick_with_nothing_new_does_not_wait_for_a_publishing_transaction(network: Network) -> None:
    """Checkpoints every few seconds (AUDIT_CHECKPOINT_SECONDS) must not queue behind publishing nor
    hold it up: a tick with nothing new never takes the chain lock that every publish holds."""
    from exchange.services.chain import CHAIN_LOCK_KEY

    assert audit_checkpoint_create() is not None
    publishing = connection.copy()  # another session, in the middle of an audited write
    try:
        with publishing.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        _sql("SET lock_timeout = '2s'", [])  # waiting for the lock would fail the test
        assert audit_checkpoint_create() is None
    finally:
        _sql("RESET lock_timeout", [])
        publishing.close()


def test_checkpoints_are_delivered_through_subscriptions(network: Network) -> None:
    everything = Subscription.objects.create(member=network.fda.member, name="everything")
    only_alerts = Subscription.objects.create(member=network.hc.member, name="alerts", event_types=["alert.published"],
                                              event_type_mask=1)
    audit_checkpoint_create()

    matched = {sid for sid, _ in subscriptions_matching(Event.objects.get(type="audit.checkpoint"))}

    assert everything.pk in matched
    assert only_alerts.pk not in matched


def test_the_api_lists_checkpoints_newest_first(network: Network, api: Callable[..., ApiCaller]) -> None:
    audit_checkpoint_create()
    _work(network)
    audit_checkpoint_create()

    body = api(network.tga.viewer).get("/api/v1/audit/checkpoints/").json()

    ids = [c["entry_id"] for c in body["results"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 2
    assert set(body["results"][0]) == {"entry_id", "entry_hash", "created_at", "jws"}
    event = Event.objects.filter(type="audit.checkpoint").order_by("-sequence").first()
    assert event is not None
    assert body["results"][0] == event.payload


def test_the_log_verifies_against_an_untampered_checkpoint(
    network: Network, api: Callable[..., ApiCaller], tmp_path: Path
) -> None:
    _work(network, 2)
    audit_checkpoint_create()
    _work(network)  # entries after the checkpoint are fine
    path, data = _checkpoint_file(tmp_path, api(network.fda.viewer))

    assert f"entries 1–{data['entry_id']} are all present and unchanged" in _verify(path)


def test_deleting_the_newest_entries_fails_naming_the_missing_range(
    network: Network, api: Callable[..., ApiCaller], tmp_path: Path
) -> None:
    _work(network, 2)
    audit_checkpoint_create()
    path, data = _checkpoint_file(tmp_path, api(network.fda.viewer))
    head = data["entry_id"]
    call_command("verify_audit_log", stdout=StringIO())  # the chain alone is fine …

    _sql("DELETE FROM exchange_auditentry WHERE id > %s", [head - 3])

    call_command("verify_audit_log", stdout=StringIO())  # … and still is: truncation leaves no gap
    message = _fails(path)
    assert f"entries {head - 2}–{head} missing" in message
    assert f"the log ends at entry {head - 3}" in message


def test_truncation_hidden_by_new_entries_is_still_found(
    network: Network, api: Callable[..., ApiCaller], tmp_path: Path
) -> None:
    _work(network, 2)
    audit_checkpoint_create()
    path, data = _checkpoint_file(tmp_path, api(network.fda.viewer))
    head = data["entry_id"]
    _sql("DELETE FROM exchange_auditentry WHERE id > %s", [head - 2])
    _work(network, 2)  # the service goes on writing: ids up to and past the checkpoint exist again

    message = _fails(path)

    assert f"entries 1–{head} changed or removed" in message


def test_an_edited_entry_with_a_rewritten_chain_is_found_and_bounded_by_an_earlier_checkpoint(
    network: Network, api: Callable[..., ApiCaller], tmp_path: Path
) -> None:
    _work(network)
    earlier = audit_checkpoint_create()
    _work(network, 2)
    audit_checkpoint_create()
    path, data = _checkpoint_file(tmp_path, api(network.fda.viewer))
    assert earlier is not None
    victim = earlier.entry_id + 2
    # Rewrite the victim's content and every hash after it, so that the chain alone verifies.
    prev = AuditEntry.objects.get(id=victim - 1).hash
    for entry in AuditEntry.objects.filter(id__gte=victim).order_by("id"):
        after = {"tampered": True} if entry.id == victim else entry.after
        digest = entry_hash(entry_id=entry.id, at=entry.at, actor_id=entry.actor_id, actor_email=entry.actor_email,
                            member_code=entry.member_code, action=entry.action, object_type=entry.object_type,
                            object_id=entry.object_id, before=entry.before, after=after, prev_hash=prev)
        _sql("UPDATE exchange_auditentry SET after = %s, prev_hash = %s, hash = %s WHERE id = %s",
             [json.dumps(after), prev, digest, entry.id])
        prev = digest
    call_command("verify_audit_log", stdout=StringIO())  # the chain alone cannot tell

    message = _fails(path)

    assert f"entries {earlier.entry_id + 1}–{data['entry_id']} changed or removed" in message


def test_a_forged_checkpoint_is_refused(network: Network, api: Callable[..., ApiCaller], tmp_path: Path) -> None:
    audit_checkpoint_create()
    path, data = _checkpoint_file(tmp_path, api(network.fda.viewer))
    path.write_text(json.dumps({**data, "entry_id": data["entry_id"] - 1}))

    assert "signature does not verify" in _fails(path)

    path.write_text("{not json")
    assert "is not JSON" in _fails(path)
    path.write_text(json.dumps({"entry_id": 3}))
    assert "lacks entry_hash, created_at, jws" in _fails(path)
    assert "Cannot read" in _fails(tmp_path / "missing.json")


def test_a_whole_webhook_body_is_accepted_as_the_checkpoint(network: Network, tmp_path: Path) -> None:
    from exchange.services.deliveries import webhook_body

    audit_checkpoint_create()
    path = tmp_path / "webhook.json"
    path.write_text(webhook_body(Event.objects.get(type="audit.checkpoint"), 1))

    assert "are all present and unchanged" in _verify(path)


def test_beat_runs_the_checkpoint_every_audit_checkpoint_seconds() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["exchange-audit-checkpoint"]
    assert entry["task"] == "exchange.audit_checkpoint"
    assert entry["schedule"] == float(settings.AUDIT_CHECKPOINT_SECONDS) == 3600.0


def test_the_checkpoint_is_checked_against_the_network_keys_a_member_kept(
    network: Network, api: Callable[..., ApiCaller], tmp_path: Path
) -> None:
    from exchange.models import SigningKey
    from exchange.services.provenance import _new_key, jws_sign_detached

    reader = api(network.fda.viewer)
    audit_checkpoint_create()
    kept = tmp_path / "network-jwks.json"
    kept.write_text(json.dumps(reader.get("/api/v1/members/NETWORK/keys/").json()))
    path, data = _checkpoint_file(tmp_path, reader)
    out = StringIO()
    call_command("verify_audit_log", "--checkpoint", str(path), "--jwks", str(kept), stdout=out)
    assert "are all present and unchanged" in out.getvalue()

    # Someone with the database forges a checkpoint of a truncated log and swaps in their own network key.
    _sql("DELETE FROM exchange_auditentry WHERE id > %s", [data["entry_id"] - 2])
    SigningKey.objects.filter(member__isnull=True).delete()
    impostor = _new_key(None)
    impostor.save()
    head = AuditEntry.objects.order_by("-id").first()
    assert head is not None
    forged = {"entry_id": head.id, "entry_hash": head.hash, "created_at": data["created_at"]}
    forged["jws"] = jws_sign_detached(key=impostor, payload=forged)
    path.write_text(json.dumps(forged))

    call_command("verify_audit_log", "--checkpoint", str(path), stdout=StringIO())  # the database's keys accept it
    with pytest.raises(CommandError, match="does not verify with the network's keys in the given JWKS"):
        call_command("verify_audit_log", "--checkpoint", str(path), "--jwks", str(kept), stdout=StringIO())
    kept.write_text('{"keys": []}')
    with pytest.raises(CommandError, match="holds no Ed25519 key"):
        call_command("verify_audit_log", "--checkpoint", str(path), "--jwks", str(kept), stdout=StringIO())
