"""Tool versions and version specifiers (SPEC §10.2): the one home of every rule about versions.

A **specifier** is either PEP 440's (`>=3.2,<3.4`, `==3.1.*`), evaluated with `packaging`, or a
comma-separated list of versions (`3.1.0, 3.2.1`). Empty means every version. Against a tool with
registered versions a specifier must match at least one of them; a tool with none keeps accepting
any well-formed specifier, kept as given and matched as text.

Versions order by PEP 440 where every version of the tool parses as one, otherwise by
`released_on` then registration. Pure functions: no database, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

MAX_SPECIFIER_LENGTH = 100
_OPERATOR = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)")
_VERSION_TEXT = re.compile(r"^[\w.+!*\- ]{1,50}$")


class SpecifierError(ValueError):
    """The text is neither a PEP 440 specifier nor a list of versions."""


@dataclass(frozen=True)
class Specifier:
    """A parsed specifier: `kind` is `all`, `pep440` or `list`."""

    text: str
    kind: str
    pep440: SpecifierSet | None = None
    items: tuple[str, ...] = ()

    def matches(self, version: str) -> bool:
        """Does the specifier take this version? A list compares text (PEP 440-equal where both parse)."""
        if self.kind == "all":
            return True
        if self.kind == "pep440":
            parsed = parse_version(version)
            assert self.pep440 is not None
            return parsed is not None and self.pep440.contains(parsed, prereleases=True)
        return any(same_version(item, version) for item in self.items)


def parse_version(text: str) -> Version | None:
    try:
        return Version(text.strip())
    except InvalidVersion:
        return None


def same_version(a: str, b: str) -> bool:
    va, vb = parse_version(a), parse_version(b)
    if va is not None and vb is not None:
        return va == vb
    return a.strip().casefold() == b.strip().casefold()


def parse_specifier(text: str | None) -> Specifier:
    """Parse a specifier; raise SpecifierError with a message a person can act on."""
    text = " ".join((text or "").split())
    if not text or text.lower() in {"*", "all", "all versions"}:
        return Specifier(text, "all")
    if len(text) > MAX_SPECIFIER_LENGTH:
        raise SpecifierError(f"at most {MAX_SPECIFIER_LENGTH} characters")
    if _OPERATOR.match(text):
        try:
            return Specifier(text, "pep440", pep440=SpecifierSet(text))
        except InvalidSpecifier as exc:
            raise SpecifierError(f"{text!r} is not a valid PEP 440 version specifier (e.g. >=3.2,<3.4)") from exc
    items = tuple(item.strip() for item in text.split(","))
    if any(not item for item in items):
        raise SpecifierError("a list of versions separates non-empty versions by commas")
    bad = [item for item in items if not _VERSION_TEXT.match(item) or _OPERATOR.match(item)]
    if bad:
        raise SpecifierError(f"{bad[0]!r} is not a version (letters, digits and . + - _ !)")
    return Specifier(text, "list", items=items)


def version_text_check(text: str) -> str:
    """A version as registered or reported: one version, not a specifier."""
    text = text.strip()
    if not text or not _VERSION_TEXT.match(text) or "," in text or "*" in text or _OPERATOR.match(text):
        raise SpecifierError(f"{text!r} is not a version (e.g. 3.4.0)")
    return text


@dataclass(frozen=True)
class KnownVersion:
    """What ordering needs of a registered version."""

    version: str
    released_on: date | None = None
    registered: Any = 0  # created_at or id: the registration order


def order_versions(versions: Iterable[KnownVersion]) -> list[str]:
    """PEP 440 order where every version parses, otherwise by release date then registration."""
    items = list(versions)
    parsed = [parse_version(v.version) for v in items]
    if all(p is not None for p in parsed):
        pairs = sorted(zip(parsed, items, strict=True), key=lambda pair: pair[0])  # type: ignore[arg-type,return-value]
        return [item.version for _, item in pairs]
    return [v.version for v in sorted(items, key=lambda v: (v.released_on or date.max, v.registered))]


def matched(specifier: Specifier, ordered: Sequence[str]) -> list[str]:
    """The registered versions (in order) the specifier takes."""
    return [version for version in ordered if specifier.matches(version)]


def later_or_equal(version: str, ordered: Sequence[str]) -> list[str]:
    """`version` and every version after it, in the tool's order."""
    for index, known in enumerate(ordered):
        if same_version(known, version):
            return list(ordered[index:])
    return []


def canonical(version: str, ordered: Sequence[str]) -> str | None:
    """The registered spelling of a version (`3.4` finds `3.4.0`), or None."""
    return next((known for known in ordered if same_version(known, version)), None)


def covers(authorised: str, affected: str, affected_versions: Sequence[str]) -> bool:
    """Does an authorisation's `versions` take at least one version an alert affects?

    Where the alert names registered versions the answer is exact (a registered version both take).
    Otherwise it is matched as text: the alert's listed versions against the authorisation's specifier;
    two PEP 440 ranges over no registered version cannot be compared, so they count as covering
    (the alert reaches the member rather than silently missing it).
    """
    auth = parse_specifier(authorised)
    if auth.kind == "all":
        return True
    if affected_versions:
        return any(auth.matches(version) for version in affected_versions)
    alert = parse_specifier(affected)
    if alert.kind == "all":
        return True
    if alert.kind == "list":
        return any(auth.matches(item) for item in alert.items)
    if auth.kind == "list":
        return any(alert.matches(item) for item in auth.items)
    return True
