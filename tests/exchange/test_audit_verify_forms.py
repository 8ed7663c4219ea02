"""verify_audit_log reads each entry's time and JSON as PostgreSQL writes them and rebuilds the canonical
content the hash was taken over: a time whose fraction of a second ends in zeros (PostgreSQL drops
them), and JSON PostgreSQL writes with other spacing and key order than the canonical form, still
verify; a time moved by one microsecond does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import connection

from exchange.models import AuditEntry
from exchange.services import audit
from exchange.services.audit import audit_record, audit_verify
from exchange.services.chain import audited_transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TIMES = [
    datetime(2026, 12, 5, 21, 36, 15, 0, tzinfo=UTC),  # no fraction at all: "2026-12-05 21:36:15"
    datetime(2026, 12, 5, 21, 36, 15, 100000, tzinfo=UTC),  # ".1"
    datetime(2026, 12, 5, 21, 36, 15, 120000, tzinfo=UTC),
    datetime(2026, 12, 5, 21, 36, 15, 123450, tzinfo=UTC),
    datetime(2026, 12, 5, 21, 36, 15, 999999, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
]

VALUES: list[object] = [
    {"b": 1, "a": 2, "aa": [1, 2.5, None, True, False], "é": "😀", "": {}},
    {"long key first": 0.1, "z": 1.5e-07, "y": -3, "x": 2**70, "w": [], "v": {"nested": {"b": "q\"\\\n\t\x07"}}},
    ["a list", {"k": "v"}, 3.25],
    # numbers jsonb writes back in another form: 1e16 and beyond without an exponent, -0.0 as 0.0
    {"big": 1e16, "bigger": 1.2345678901234567e20, "negative": -3.4e38, "zero": -0.0, "small": 1e-300},
    "a string at the top",
    12,
    None,
]


def _record_at(monkeypatch: pytest.MonkeyPatch, when: datetime, value: object) -> None:
    monkeypatch.setattr(audit.timezone, "now", lambda: when)
    audit_record(actor=None, action="test.form", object_type="thing", object_id=when.isoformat(),
                 before=value, after={"at": when.isoformat(), "value": value})


def test_times_and_json_in_every_form_postgresql_writes_verify(network: object,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with audited_transaction():
        for index, when in enumerate(TIMES * 2):
            _record_at(monkeypatch, when, VALUES[index % len(VALUES)])
    entries = AuditEntry.objects.count()

    assert audit_verify(workers=1) == (entries, None)
    assert audit_verify(workers=2, range_size=5) == (entries, None)


@pytest.mark.parametrize("when", TIMES)
def test_a_time_moved_by_one_microsecond_is_named(network: object, monkeypatch: pytest.MonkeyPatch,
                                                  when: datetime) -> None:
    with audited_transaction():
        _record_at(monkeypatch, when, VALUES[0])
        _record_at(monkeypatch, when, VALUES[1])
    target = AuditEntry.objects.order_by("-id").values_list("id", flat=True)[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE exchange_auditentry SET at = at + interval '1 microsecond' WHERE id = %s", [target])

    for result in (audit_verify(workers=1), audit_verify(workers=2, range_size=5)):
        checked, problem = result
        assert problem is not None
        assert (problem.entry_id, checked) == (target, target - 1)
        assert problem.reason == "its content does not match its hash (it was edited)"


def test_the_json_shortcut_writes_what_json_loads_and_the_encoder_write(network: object) -> None:
    texts = []
    with connection.cursor() as cursor:
        for value in VALUES:
            cursor.execute("SELECT %s::jsonb::text", [json.dumps(value)])
            texts.append(cursor.fetchone()[0])
    texts += [' {"b": 1, "a": 2} ', '{"a":1}\n', '[1, 2]', '"x"', "1e400", "-0.0"]

    for text in texts:
        assert audit._canonical_text(text) == audit._canonical(json.loads(text)), text


@pytest.mark.parametrize("text", ['{"a": 1', "nope", '{"a": 1} x', ""])
def test_the_json_shortcut_fails_as_json_loads_does(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        audit._canonical_text(text)
    assert str(got.value) == str(expected.value)
