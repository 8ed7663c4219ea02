"""verify_audit_log over a long log: id ranges walked by worker processes, the seams between ranges
checked by the caller. Each break must be found where the single walk finds it, with the same message
and the same count of entries verified before it — wherever it falls relative to a range's edges."""

from __future__ import annotations

import pytest
from django.db import connection

from exchange.models import AuditEntry
from exchange.services.audit import audit_record, audit_verify, entry_hash
from exchange.services.chain import audited_transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RANGE = 7  # ranges of seven ids: 1–7, 8–14, 15–21 …
TRICKY = ['quote " backslash \\ tab \t newline \n', "bell \x07 escape \x1b del \x7f", "é ß 中文 😀 \u2028"]


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _parallel() -> tuple[int, object]:
    return audit_verify(workers=2, range_size=RANGE)


def _single() -> tuple[int, object]:
    return audit_verify(workers=1)


@pytest.fixture
def log(network: object) -> list[AuditEntry]:
    """The network's creation, then entries whose strings and JSON need every kind of escaping."""
    with audited_transaction():
        for n in range(30):
            audit_record(actor=None, action="test.tricky", object_type="thing", object_id=TRICKY[n % 3],
                         before=None if n % 4 == 0 else {"z": TRICKY[n % 3], "a": [1, 2.5, None, True]},
                         after={"n": n, "text": TRICKY[(n + 1) % 3], "nested": {"b": 1, "a": {"é": "😀"}}},
                         member_code=TRICKY[n % 3][:16])
    entries = list(AuditEntry.objects.order_by("id"))
    assert len(entries) > 4 * RANGE
    return entries


def test_an_intact_log_verifies_in_parallel_as_in_one_walk(log: list[AuditEntry]) -> None:
    assert _parallel() == (len(log), None)
    assert _single() == (len(log), None)


@pytest.mark.parametrize("target", [RANGE * 2 + 3, RANGE * 2 + 1, RANGE * 2, RANGE * 3])
def test_an_edited_entry_is_named_wherever_it_falls(log: list[AuditEntry], target: int) -> None:
    _sql("UPDATE exchange_auditentry SET object_id = 'edited' WHERE id = %s", [target])

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.entry_id == target
    assert checked == target - 1
    assert "edited" in problem.reason


@pytest.mark.parametrize("target", [RANGE + 1, RANGE * 2, RANGE * 2 + 4])
def test_a_removed_entry_is_named_at_a_seam_or_inside_a_range(log: list[AuditEntry], target: int) -> None:
    _sql("DELETE FROM exchange_auditentry WHERE id = %s", [target])

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.reason == f"entry {target} is missing (next entry found is {target + 1})"


def test_a_whole_range_removed_is_one_gap(log: list[AuditEntry]) -> None:
    _sql("DELETE FROM exchange_auditentry WHERE id BETWEEN %s AND %s", [RANGE * 2 - 2, RANGE * 3 + 2])

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.reason == f"entry {RANGE * 2 - 2} is missing (next entry found is {RANGE * 3 + 3})"


def test_an_entry_edited_and_rehashed_at_the_end_of_a_range_breaks_the_seam(log: list[AuditEntry]) -> None:
    # The last entry of range 2 edited with its hash recomputed: range 3's first entry no longer follows it.
    target = next(entry for entry in log if entry.id == RANGE * 2)
    forged = entry_hash(entry_id=target.id, at=target.at, actor_id=target.actor_id, actor_email=target.actor_email,
                        member_code=target.member_code, action="forged", object_type=target.object_type,
                        object_id=target.object_id, before=target.before, after=target.after,
                        prev_hash=target.prev_hash)
    AuditEntry.objects.filter(id=target.id).update(action="forged", hash=forged)

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.entry_id == RANGE * 2 + 1
    assert checked == RANGE * 2
    assert "prev_hash" in problem.reason


def test_only_the_first_of_two_breaks_is_reported(log: list[AuditEntry]) -> None:
    _sql("DELETE FROM exchange_auditentry WHERE id = %s", [RANGE * 3 + 2])
    _sql("UPDATE exchange_auditentry SET action = 'edited' WHERE id = %s", [RANGE + 3])

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.entry_id == RANGE + 3


def test_an_entry_moved_below_the_first_id_is_found(log: list[AuditEntry]) -> None:
    _sql("UPDATE exchange_auditentry SET id = 0 WHERE id = 1", [])

    checked, problem = _parallel()

    assert (checked, problem) == _single()
    assert problem is not None
    assert problem.reason == "entry 1 is missing (next entry found is 0)"
