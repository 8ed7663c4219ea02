"""The hash-chained audit log and `manage.py verify_audit_log` (SPEC §2 "Audit log")."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from exchange.models import AuditEntry
from exchange.services.audit import entry_hash
from tests.factories import Network, authorization_make, tool_make

BASE_DIR = Path(settings.BASE_DIR)


def _verify() -> str:
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue()


def _broken_at() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_log", stdout=StringIO())
    return str(caught.value)


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def history(network: Network) -> list[AuditEntry]:
    """The network's creation plus some registry work, all through the services."""
    tool = tool_make(actor=network.mhra.publisher)
    authorization_make(actor=network.mhra.publisher, tool=tool)
    return list(AuditEntry.objects.order_by("id"))


def test_services_write_one_chained_entry_per_change(network: Network, history: list[AuditEntry]) -> None:
    # Five members, 4 users each plus the staff user, a tool and an authorisation.
    actions = [entry.action for entry in history]
    assert actions.count("member.created") == 5
    assert actions.count("user.created") == 21
    assert actions[-2:] == ["tool.registered", "authorization.recorded"]
    assert [entry.id for entry in history] == list(range(1, len(history) + 1))
    for previous, entry in itertools.pairwise(history):
        assert entry.prev_hash == previous.hash
    mhra = next(e for e in history if e.action == "member.created" and e.object_id == "MHRA")
    assert mhra.after == {"code": "MHRA", "name": network.mhra.member.name, "country": "GB", "status": "active"}


def test_an_intact_chain_verifies(history: list[AuditEntry]) -> None:
    output = _verify()

    assert f"{len(history)} entries" in output
    assert history[-1].hash in output


def test_editing_an_entry_is_detected_and_named(history: list[AuditEntry]) -> None:
    target = history[7]
    _sql("UPDATE exchange_auditentry SET after = %s WHERE id = %s", ['{"role": "admin"}', target.id])

    message = _broken_at()

    assert f"entry {target.id}" in message
    assert "edited" in message


def test_editing_an_entry_and_recomputing_its_hash_is_detected_at_the_next(history: list[AuditEntry]) -> None:
    target = history[7]
    forged_after = {**target.after, "role": "admin"}
    forged_hash = entry_hash(
        entry_id=target.id, at=target.at, actor_id=target.actor_id, actor_email=target.actor_email,
        member_code=target.member_code, action=target.action, object_type=target.object_type,
        object_id=target.object_id, before=target.before, after=forged_after, prev_hash=target.prev_hash,
    )
    AuditEntry.objects.filter(id=target.id).update(after=forged_after, hash=forged_hash)

    message = _broken_at()

    assert f"entry {target.id + 1}" in message
    assert "prev_hash" in message


def test_deleting_a_middle_entry_is_detected_as_a_gap(history: list[AuditEntry]) -> None:
    target = history[10]
    _sql("DELETE FROM exchange_auditentry WHERE id = %s", [target.id])

    message = _broken_at()

    assert f"entry {target.id} is missing" in message


def test_deleting_the_first_entry_is_detected(history: list[AuditEntry]) -> None:
    _sql("DELETE FROM exchange_auditentry WHERE id = 1", [])

    assert "entry 1 is missing" in _broken_at()


def test_reordering_two_entries_is_detected(history: list[AuditEntry]) -> None:
    first, second = history[4], history[5]
    # Swap the two rows' places in the chain (their ids), keeping each row's own content and hash.
    _sql("UPDATE exchange_auditentry SET id = -1 WHERE id = %s", [first.id])
    _sql("UPDATE exchange_auditentry SET id = %s WHERE id = %s", [first.id, second.id])
    _sql("UPDATE exchange_auditentry SET id = %s WHERE id = -1", [second.id])

    message = _broken_at()

    assert f"entry {first.id}" in message


def test_swapping_the_content_of_two_entries_is_detected(history: list[AuditEntry]) -> None:
    first, second = history[4], history[5]

    def content(entry: AuditEntry) -> list[object]:
        return [entry.at, entry.actor_id, entry.actor_email, entry.member_code, entry.action, entry.object_type,
                entry.object_id, json.dumps(entry.before), json.dumps(entry.after)]

    columns = ("at", "actor_id", "actor_email", "member_code", "action", "object_type", "object_id", "before", "after")
    assignments = ", ".join(f"{column} = %s" for column in columns)
    _sql(f"UPDATE exchange_auditentry SET {assignments} WHERE id = %s", [*content(second), first.id])  # noqa: S608
    _sql(f"UPDATE exchange_auditentry SET {assignments} WHERE id = %s", [*content(first), second.id])  # noqa: S608
    assert AuditEntry.objects.get(id=first.id).object_id == second.object_id

    message = _broken_at()

    assert f"entry {first.id}" in message


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_command_exits_non_zero_when_the_chain_is_broken(history: list[AuditEntry]) -> None:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "PGPASSWORD": str(db.get("PASSWORD") or ""),
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit_log"], cwd=BASE_DIR, env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )

    intact = run()
    assert intact.returncode == 0, intact.stderr
    assert f"{len(history)} entries" in intact.stdout

    target = history[3]
    _sql("UPDATE exchange_auditentry SET member_code = 'FDA' WHERE id = %s", [target.id])
    broken = run()

    assert broken.returncode != 0
    assert f"entry {target.id}" in broken.stderr
