"""Operator commands list problems for hostile files and exit non-zero — no traceback, nothing
loaded (SPEC §6 "Bad input", §8): `import_imdrf_terms` and `verify_audit_log --checkpoint`."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alerts.models import ImdrfRelease, ImdrfTerm
from exchange.services.checkpoints import audit_checkpoint_create
from tests.factories import Network

GOOD = '"code": "A0101", "term": "Patient-device incompatibility", "definition": "d", "codehierarchy": "A01|A0101", "status": "active"'
IMDRF_FILES = {
    "surrogate_in_term": ('[{"code": "A0101", "term": "x\\ud800", "definition": "d", '
                          '"codehierarchy": "A0101", "status": "active"}]', "lone surrogate"),
    "surrogate_in_extra": ('[{' + GOOD + ', "note": "\\udfff"}]', None),
    "surrogate_key": ('[{' + GOOD + ', "\\ud800": "x"}]', "field name"),
    "nul_key": ('[{' + GOOD + ', "\\u0000": "x"}]', "field name"),
    "nul_in_extra": ('[{' + GOOD + ', "note": "a\\u0000b"}]', None),
    "nan": ('[{' + GOOD + ', "n": NaN}]', "NaN"),
    "infinity": ('[{"code": "A0101", "term": Infinity}]', "Infinity"),
    "huge_integer": ('[{' + GOOD + ', "n": ' + "9" * 5000 + '}]', "digits"),
    "huge_code": ('[{"code": ' + "9" * 5000 + ', "term": "t"}]', "digits"),
    "deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
}


@pytest.mark.parametrize("name", list(IMDRF_FILES))
def test_a_hostile_terminology_file_lists_problems_and_loads_nothing(
    db: None, tmp_path: Path, name: str
) -> None:
    text, expected = IMDRF_FILES[name]
    path = tmp_path / "terms.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")

    try:
        call_command("import_imdrf_terms", str(path), "--release", "2031", stdout=StringIO())
    except CommandError as refused:
        message = str(refused)
        assert "nothing was loaded" in message
        if expected:
            assert expected in message
        assert not ImdrfRelease.objects.filter(year=2031).exists()
        assert not ImdrfTerm.objects.filter(release__year=2031).exists()
        return
    # Loaded: then what was stored is text PostgreSQL holds (an unstorable extra field is left out).
    assert expected is None
    term = ImdrfTerm.objects.get(release__year=2031, code="A0101")
    assert "note" not in term.extra


CHECKPOINTS = {
    "huge_integer": ('{"entry_id": ' + "9" * 5000 + ', "entry_hash": "x", "created_at": "x", "jws": "a.b.c"}', "not JSON"),
    "deep": ('{"data": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    "nan": ('{"entry_id": NaN, "entry_hash": "x", "created_at": "x", "jws": "a.b.c"}', "NaN"),
    "big_id": ('{"entry_id": 99999999999999999999999, "entry_hash": "x", "created_at": "x", "jws": "a.b.c"}',
               "not trusted"),
    "surrogates": ('{"entry_id": 1, "entry_hash": "\\ud800", "created_at": "\\udfff", "jws": "a.b\\u0000"}',
                   "not trusted"),
}


@pytest.mark.parametrize("name", list(CHECKPOINTS))
def test_a_hostile_checkpoint_file_is_a_clear_failure(network: Network, tmp_path: Path, name: str) -> None:
    audit_checkpoint_create()
    text, expected = CHECKPOINTS[name]
    path = tmp_path / "checkpoint.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("verify_audit_log", "--checkpoint", str(path), stdout=StringIO())

    assert expected in str(refused.value)
