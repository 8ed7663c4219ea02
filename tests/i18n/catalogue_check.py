"""What the languages check reads: the strings the code marks for translation, the text templates
show without marking it, and the catalogues (SPEC §10.5).

Marked strings are found the way `makemessages` finds them — templates through Django's own
`templatize` (which turns `{% translate %}` and `{% blocktranslate %}` into gettext calls), Python
through its syntax tree — so that the check needs no gettext tools and writes nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.template.base import Lexer, TokenType
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("alerts", "exchange", "config", "templates")
LANGUAGES = ("fr", "es", "ja")
GETTEXT_NAMES = {"gettext", "gettext_lazy", "_", "pgettext", "pgettext_lazy", "ngettext", "ngettext_lazy",
                 "npgettext", "npgettext_lazy"}
CONTEXT_NAMES = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}


@dataclass(frozen=True)
class Marked:
    msgid: str
    context: str
    where: str


def template_files() -> Iterator[Path]:
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in {".html", ".txt"} and "templates" in path.parts and "admin" not in path.parts:
                yield path


def python_files() -> Iterator[Path]:
    for top in ("alerts", "exchange", "config"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _calls(tree: ast.AST, where: str) -> Iterator[Marked]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else None)
        if name not in GETTEXT_NAMES or not node.args:
            continue
        args = [arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                for arg in node.args]
        if name in CONTEXT_NAMES:
            if len(args) >= 2 and args[0] is not None and args[1] is not None:
                yield Marked(args[1], args[0], f"{where}:{node.lineno}")
        elif args[0] is not None:
            yield Marked(args[0], "", f"{where}:{node.lineno}")


def marked_strings() -> list[Marked]:
    found: list[Marked] = []
    for path in python_files():
        found.extend(_calls(ast.parse(path.read_text(), str(path)), str(path.relative_to(ROOT))))
    for path in template_files():
        text = path.read_text()
        if "trans" not in text:
            continue
        code = templatize(text, origin=str(path))
        found.extend(_calls(ast.parse(_python_of_templatized(code)), str(path.relative_to(ROOT))))
    return found


def _python_of_templatized(code: str) -> str:
    """templatize() writes gettext calls among placeholder text: keep only the calls, one per line."""
    calls = re.findall(r"\b(?:n?p?gettext|_)\((?:u?'(?:[^'\\]|\\.)*'|u?\"(?:[^\"\\]|\\.)*\"|[\s,]|\bcount\b)*\)", code)
    return "\n".join(calls)


# Text a template may show unmarked: symbols, codes and names that read the same in every language.
NEUTRAL = re.compile(
    r"^(?:[\W\d_]+|SAX|API|CAP|FHIR|JSON|XML|CSV|IMDRF|PCCP|JWKS|JWS|UUID|URL|HTTP|HTTPS|OK|ISO|"
    r"MHRA|FDA|HC|TGA|SMC|AI|Atom|RSS|UTC|Ed25519|EdDSA|ETag|Bearer)$"
)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S | re.I)
_ATTR = re.compile(r"""\b(?:title|alt|placeholder|aria-label|aria-description|data-confirm)\s*=\s*"([^"\x1f]*)\"""",
                   re.I)
_WORD = re.compile(r"[^\W\d_]{2,}")


def unmarked_text(path: Path) -> list[str]:
    """Pieces of user-facing text in a template that are outside translate/blocktranslate.

    Template tags and variables become a marker first, so that an HTML tag built with template tags
    inside it is still removed whole; what is left between tags is text a person reads."""
    parts: list[str] = []
    depth = 0
    for token in Lexer(path.read_text()).tokenize():
        if token.token_type == TokenType.BLOCK:
            head = token.contents.split(" ", 1)[0]
            if head in {"blocktranslate", "blocktrans", "comment", "verbatim"}:
                depth += 1
            elif head in {"endblocktranslate", "endblocktrans", "endcomment", "endverbatim"}:
                depth -= 1
            parts.append(_MARK)
        elif token.token_type == TokenType.TEXT and not depth:
            parts.append(token.contents)
        else:
            parts.append(_MARK)
    flat = "".join(parts)
    problems: list[str] = []
    attributes = _ATTR.findall(flat)
    text = _TAG.sub(_MARK, flat)
    for piece in [*attributes, *re.split(rf"{_MARK}|\n", text)]:
        piece = " ".join(piece.split())
        if not piece or not _WORD.search(piece):
            continue
        words = [w for w in re.split(r"[\s/·|—–-]+", piece) if _WORD.search(w)]
        if all(NEUTRAL.match(w.strip(".,:;()[]!?'\"")) for w in words):
            continue
        problems.append(f"{path.relative_to(ROOT)}: {piece[:80]!r}")
    return problems


_MARK = "\x1f"


def catalogue(language: str, domain: str = "django") -> dict[tuple[str, str], polib.POEntry]:
    """Every entry of every catalogue of `language` (project and app locale folders), by (context, msgid)."""
    entries: dict[tuple[str, str], polib.POEntry] = {}
    for po_path in sorted(ROOT.glob(f"**/locale/**/{language}/LC_MESSAGES/{domain}.po")):
        if ".venv" in po_path.parts:
            continue
        for entry in polib.pofile(str(po_path)):
            if not entry.obsolete:
                entries[(entry.msgctxt or "", entry.msgid)] = entry
    return entries


# --- Python sources -------------------------------------------------------------------------------
# Where Python code holds words a person reads: form fields' labels and help, validation errors
# raised or added by forms and services, e-mail notices (what happened, titles, details' labels), and
# API problems' titles. A string literal there must go through gettext (or gettext_lazy, pgettext…).
TEXT_KEYWORDS = {"label", "help_text", "empty_label", "what", "title", "placeholder", "verbose_name"}
ERROR_CALLS = {"ValidationError", "add_error", "PermissionDenied", "ProblemError"}
USER_TEXT_FILES = ("forms", "notices", "exceptions", "problems", "mail", "digests")
_PYTHON_WORDS = re.compile(r"[A-Za-z]{3,}")


def _is_text(node: ast.AST) -> bool:
    """A literal with words in it (an f-string counts by its literal parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    else:
        return False
    words = _PYTHON_WORDS.findall(text)
    return (bool(words) and " " in text.strip()) or (len(words) == 1 and text[:1].isupper() and text.isalpha())


def _reads_text(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    if "models" in parts:  # help texts of the admin and the schema: the staff's, in English
        return False
    return any(part in path.stem for part in USER_TEXT_FILES) or "portal" in parts


def unmarked_python(path: Path) -> list[str]:
    """Literals a person reads, in a Python module of the portal, forms, notices, e-mails or problems,
    that are not marked for translation."""
    if not _reads_text(path):
        return []
    return unmarked_in_source(path.read_text(), str(path.relative_to(ROOT)))


def unmarked_in_source(source: str, where: str) -> list[str]:
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, where)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        if name in GETTEXT_NAMES or name in {"format_html", "getLogger", "info", "warning", "error", "debug",
                                            "exception", "Q", "filter", "get"}:
            continue
        candidates = [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
        if name in ERROR_CALLS:
            candidates += [arg for arg in node.args if not isinstance(arg, ast.Name)][:2]
        for value in candidates:
            if _is_text(value):
                problems.append(f"{where}:{value.lineno}: {ast.unparse(value)[:80]}")
    return problems
