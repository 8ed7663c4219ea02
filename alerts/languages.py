"""Language tags (BCP 47) and picking a translation for a reader (SPEC §10.5): one home for both."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

from django.utils.translation.trans_real import parse_accept_lang_header

# language (2-3 letters), then script, region and variant subtags: the shape of BCP 47 tags in use.
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")
MAX_TAG_LENGTH = 35


def language_tag_normalise(value: str) -> str | None:
    """`value` as a BCP 47 tag in its usual case (`fr`, `pt-BR`, `zh-Hant-TW`), or None if it is not one."""
    text = value.strip()
    if len(text) > MAX_TAG_LENGTH or not _TAG.fullmatch(text):
        return None
    first, *rest = text.split("-")
    parts = [first.lower()]
    for part in rest:
        if len(part) == 2 and part.isalpha():
            parts.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():
            parts.append(part.title())  # script
        else:
            parts.append(part.lower())
    return "-".join(parts)


def primary_subtag(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def requested_language(*, query_value: str | None, accept_language: str | None) -> str | None:
    """The language a reader asked for: `?lang=` first, else the first language of Accept-Language."""
    if query_value:
        return language_tag_normalise(query_value)
    if not accept_language:
        return None
    for tag, _quality in parse_accept_lang_header(accept_language[:1000]):
        normalised = language_tag_normalise(tag) if tag != "*" else None
        if normalised:
            return normalised
    return None


class HasLanguage(Protocol):
    language: str
    source: str

    @property
    def outdated(self) -> bool: ...


T = TypeVar("T", bound="HasLanguage")

_SOURCE_RANK = {"publisher": 0, "member": 1, "machine": 2}


def translation_for(translations: Iterable[T], *, language: str | None, original: str) -> T | None:
    """The translation a reader of `language` is shown, or None (none exists, or the original is in that
    language). An exact tag beats the same primary language; a current text beats an outdated one; the
    publisher's own beats an audience member's, which beats a machine's."""
    if not language or primary_subtag(language) == primary_subtag(original):
        return None
    wanted = primary_subtag(language)
    candidates: Sequence[T] = [t for t in translations if primary_subtag(t.language) == wanted]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda t: (t.language.lower() != language.lower(), t.outdated, _SOURCE_RANK.get(t.source, 3)),
    )
