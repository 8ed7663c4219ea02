"""Every user-facing string is marked and translated in every catalogue (SPEC §10.5).

Fails on text a template shows without marking it, on a marked string missing (or left empty,
fuzzy or in English) from the French, Spanish or Japanese catalogue, and on a translation whose
placeholders differ from the original's (which would fail when the page renders)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from tests.i18n.catalogue_check import (
    LANGUAGES,
    catalogue,
    marked_strings,
    python_files,
    template_files,
    unmarked_in_source,
    unmarked_python,
    unmarked_text,
)

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w*)\}|%[sdif]")
# Strings that read the same in a language (names, codes, numbers with units, placeholders joined by
# punctuation such as "%(what)s: %(title)s").
SAME_IN_TRANSLATION = re.compile(r"^(?:(?:[\W\d_]|%\(\w+\)[sdif])*|[A-Z0-9]{2,})$")


def test_templates_mark_every_piece_of_text_a_person_reads() -> None:
    problems = [problem for path in template_files() for problem in unmarked_text(path)]
    assert not problems, f"{len(problems)} unmarked pieces of text:\n" + "\n".join(problems[:60])


def test_python_marks_every_piece_of_text_a_person_reads() -> None:
    """Forms' labels and errors, e-mail notices, problems' titles: what Python shows goes through gettext."""
    problems = [problem for path in python_files() for problem in unmarked_python(path)]
    assert not problems, f"{len(problems)} unmarked texts in Python:\n" + "\n".join(problems[:60])


def test_the_python_check_catches_each_kind_of_unmarked_text() -> None:
    source = """
from django import forms
from django.utils.translation import gettext_lazy as _
class F(forms.Form):
    name = forms.CharField(label="Your name", help_text=_("As on your badge."))
    def clean(self):
        self.add_error("name", "That name is taken.")
        raise forms.ValidationError(f"Too long by {3} characters")
notice = Notice(item="x", what="Safety alert published", title=_("Fine"))
logger.info("Not for people %s", 1)
"""
    found = unmarked_in_source(source, "example.py")
    assert sorted(line.split(": ", 1)[1] for line in found) == sorted([
        "'Your name'", "'That name is taken.'", "f'Too long by {3} characters'", "'Safety alert published'",
    ]), found


def test_the_code_marks_strings() -> None:
    assert len({m.msgid for m in marked_strings()}) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated(language: str) -> None:
    entries = catalogue(language)
    problems = []
    for marked in {(m.context, m.msgid): m for m in marked_strings()}.values():
        entry = entries.get((marked.context, marked.msgid))
        if entry is None:
            problems.append(f"missing: {marked.msgid!r} ({marked.where})")
        elif "fuzzy" in entry.flags or not (entry.msgstr or entry.msgstr_plural):
            problems.append(f"untranslated: {marked.msgid!r} ({marked.where})")
        elif entry.msgstr == entry.msgid and not SAME_IN_TRANSLATION.match(entry.msgid) and len(entry.msgid) > 3:
            problems.append(f"left in English: {marked.msgid!r} ({marked.where})")
    assert not problems, f"{language}: {len(problems)} problems:\n" + "\n".join(sorted(problems)[:60])


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_the_original(language: str) -> None:
    problems = []
    for entry in catalogue(language).values():
        originals = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = sorted(set(PLACEHOLDER.findall(originals[0])))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            if text and sorted(set(PLACEHOLDER.findall(text))) != wanted:
                problems.append(f"{entry.msgid!r} → {text!r}")
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize(("language", "word"), [("fr", "Boîte de réception"), ("ja", "受信箱")])
def test_compiled_catalogues_are_loaded(language: str, word: str) -> None:
    with translation.override(language):
        assert translation.gettext("Inbox") == word
