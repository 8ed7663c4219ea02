"""Version specifiers and version order (SPEC §10.2): pure rules, no database."""

from __future__ import annotations

from datetime import date

import pytest

from alerts.versioning import (
    KnownVersion,
    SpecifierError,
    canonical,
    covers,
    later_or_equal,
    matched,
    order_versions,
    parse_specifier,
    version_text_check,
)

KNOWN = ["3.1.0", "3.2.0", "3.3.1", "3.4.0"]


@pytest.mark.parametrize(("text", "expected"), [
    (">=3.2,<3.4", ["3.2.0", "3.3.1"]),
    ("==3.3.*", ["3.3.1"]),
    ("<3.2", ["3.1.0"]),
    ("~=3.2", ["3.2.0", "3.3.1", "3.4.0"]),
    ("!=3.3.1", ["3.1.0", "3.2.0", "3.4.0"]),
    ("3.1.0, 3.4", ["3.1.0", "3.4.0"]),  # a list; 3.4 is PEP 440-equal to 3.4.0
    ("", KNOWN),
    ("*", KNOWN),
    ("all versions", KNOWN),
    ("==4.*", []),
])
def test_a_specifier_matches_the_registered_versions_it_takes(text: str, expected: list[str]) -> None:
    assert matched(parse_specifier(text), KNOWN) == expected


@pytest.mark.parametrize("text", [">=3.2,<", "==", ">=three", "3.1,,3.2", "3.1, >=3.2", "x" * 101, "3.1;drop"])
def test_a_malformed_specifier_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(SpecifierError) as refused:
        parse_specifier(text)
    assert str(refused.value)


def test_versions_that_are_not_pep_440_are_matched_as_text() -> None:
    spec = parse_specifier("2024-spring, 2024-autumn")
    assert spec.kind == "list"
    assert matched(spec, ["2023-autumn", "2024-spring", "2024-autumn"]) == ["2024-spring", "2024-autumn"]
    assert not parse_specifier(">=1.0").matches("2024-spring")  # a range never takes a non-PEP 440 version


def test_versions_order_by_pep_440_when_every_one_parses() -> None:
    known = [KnownVersion("3.10.0", date(2026, 1, 1), 1), KnownVersion("3.2.0", date(2026, 3, 1), 2),
             KnownVersion("3.9.1rc1", None, 3), KnownVersion("3.9.1", None, 4)]
    assert order_versions(known) == ["3.2.0", "3.9.1rc1", "3.9.1", "3.10.0"]


def test_versions_order_by_release_date_then_registration_when_one_does_not_parse() -> None:
    known = [KnownVersion("autumn", date(2025, 10, 1), 1), KnownVersion("spring", date(2025, 4, 1), 2),
             KnownVersion("3.0", None, 3), KnownVersion("2.0", None, 4)]
    assert order_versions(known) == ["spring", "autumn", "3.0", "2.0"]


def test_fixed_in_and_later_and_the_registered_spelling() -> None:
    assert later_or_equal("3.3.1", KNOWN) == ["3.3.1", "3.4.0"]
    assert canonical("3.4", KNOWN) == "3.4.0"
    assert canonical("3.5", KNOWN) is None


@pytest.mark.parametrize("text", ["3.4.0", "2024-spring", "v1.2"])
def test_one_version_is_accepted(text: str) -> None:
    assert version_text_check(text) == text


@pytest.mark.parametrize("text", ["", ">=3.4", "3.1, 3.2", "3.*"])
def test_a_specifier_is_not_one_version(text: str) -> None:
    with pytest.raises(SpecifierError):
        version_text_check(text)


@pytest.mark.parametrize(("authorised", "versions", "affected", "expected"), [
    ("", ">=3.2", ["3.2.0"], True),  # an authorisation without versions covers all
    (">=3.0,<3.2", ">=3.2,<3.4", ["3.2.0", "3.3.1"], False),
    (">=3.3", ">=3.2,<3.4", ["3.2.0", "3.3.1"], True),
    ("3.1.0", "3.1.0, 3.2.0", ["3.1.0", "3.2.0"], True),
    # a tool without registered versions: matched as text
    ("2.1", "2.1, 2.2", [], True),
    ("2.3", "2.1, 2.2", [], False),
    (">=2.0", "2.1, 2.2", [], True),
    ("2.5", "<2.4", [], False),
    (">=3.0", "<2.4", [], True),  # two ranges over no registered version cannot be compared: delivered
])
def test_an_authorisation_covers_an_affected_version(authorised: str, versions: str, affected: list[str],
                                                     expected: bool) -> None:
    assert covers(authorised, versions, affected) is expected
