"""IMDRF adverse-event terminology: loading a release (all or nothing) and checking alerts' codes.

IMDRF publishes the terminology once a year as JSON: a bare array of records such as
`{"code": "A0101", "term": "…", "definition": "…", "non-IMDRF code": "…", "status": "",
"status description": "", "codehierarchy": "A|A01|A0101"}`, either one consolidated file (annexes
A–G, with one annex-root record per annex, `"code": "A"`, and hierarchies starting at that letter)
or one file per annex (hierarchies starting at the first real code, `"A01|A0101"`). Field names are
compared ignoring case, spaces and underscores (`"non-IMDRF code"` = `"non-imdrf code"`). A release may be loaded from
several single-annex files, one annex at a time; an annex once loaded never changes, and a later
release never touches an earlier one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import NoReturn

from django.db import IntegrityError, models, transaction

from alerts.models import ImdrfRelease, ImdrfTerm, TermStatus
from exchange.errors import ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.services.audit import audit_record
from exchange.services.chain import audited_write

CODE_RE = re.compile(r"^[A-G][0-9]{2,6}$")
_HIERARCHY_TOKEN = re.compile(r"[A-Z][0-9]*")
ANNEX_RE = re.compile(r"^[A-G]$")
_HIERARCHY_SEPARATORS = re.compile(r"^[\s>|/\\,;.:\-–»→]*$")
EARLIEST_RELEASE, LATEST_RELEASE = 1990, 2999
MAX_PROBLEMS_SHOWN = 200


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).lower()


@dataclass
class ParsedTerm:
    code: str
    term: str
    definition: str
    path: list[str]
    status: str
    source_status: str
    extra: JSONObject
    root: bool = False


@dataclass
class ImportOutcome:
    release: ImdrfRelease
    created: int
    annexes: list[str]
    retired: int
    problems: list[str] = field(default_factory=list)


_SURROGATE = re.compile("[\ud800-\udfff]")


class TerminologyImportFailed(Exception):
    """The file was refused whole; `problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _text(value: JSONValue, *, where: str, name: str, problems: list[str], required: bool) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.append(f"{where}: '{name}' is missing or blank.")
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and name not in ("code", "term"):
        value = str(value)
    if not isinstance(value, str):
        problems.append(f"{where}: '{name}' must be text, not {type(value).__name__}.")
        return ""
    if "\x00" in value:
        problems.append(f"{where}: '{name}' contains a NUL character.")
        return ""
    if _SURROGATE.search(value):
        problems.append(f"{where}: '{name}' contains a lone surrogate (not text that can be stored).")
        return ""
    return value.strip()


def _path(code: str, raw: str, *, where: str, problems: list[str]) -> list[str]:
    """The codes from the top of the annex down to `code`, from IMDRF's `codehierarchy` text.

    IMDRF writes `A|A01|A0101` in the consolidated file (the bare annex letter first, the path of its
    annex-root record) and `A01|A0101` in a single-annex file; both give [A01, A0101]."""
    if not raw:
        # No hierarchy given: the code nests under its prefixes (A09 > A0901 > A090101).
        return [code[:length] for length in range(3, len(code), 2)] + [code]
    text = raw.upper()
    tokens = _HIERARCHY_TOKEN.findall(text)
    leftover = _HIERARCHY_TOKEN.sub("", text)
    if not tokens or not _HIERARCHY_SEPARATORS.match(leftover):
        problems.append(f"{where}: codehierarchy {raw!r} is not a list of codes (e.g. 'A|A09|A0901').")
        return []
    if tokens[0] == code[0] and len(tokens) > 1:
        tokens = tokens[1:]  # the annex root of a consolidated file
    bad = [token for token in tokens if not CODE_RE.match(token)]
    if bad:
        problems.append(f"{where}: codehierarchy {raw!r} holds malformed code(s) {', '.join(bad)}.")
        return []
    if tokens[-1] != code:
        problems.append(f"{where}: codehierarchy {raw!r} does not end with the record's code {code}.")
        return []
    if len(set(tokens)) != len(tokens):
        problems.append(f"{where}: codehierarchy {raw!r} repeats a code.")
        return []
    if any(token[0] != code[0] for token in tokens):
        problems.append(f"{where}: codehierarchy {raw!r} mixes annexes.")
        return []
    return tokens


def _status(raw: str) -> str:
    # IMDRF marks a withdrawn term "Retired" (spreadsheets: "Retired / Not selectable"); "New",
    # "Modified", blank and anything else are terms in use.
    return TermStatus.RETIRED if "retired" in raw.lower() else TermStatus.ACTIVE


def parse_records(data: JSONValue) -> tuple[list[ParsedTerm], list[str]]:
    """Every record checked; returns the terms and every problem found (empty when the file is good)."""
    problems: list[str] = []
    if not isinstance(data, list):
        return [], [f"The file must be a JSON array of term records (IMDRF's shape), not a JSON {type(data).__name__}."]
    if not data:
        return [], ["The file holds no term records."]
    terms: list[ParsedTerm] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(data, start=1):
        where = f"record {index}"
        if not isinstance(record, dict):
            problems.append(f"{where}: must be a JSON object, not {type(record).__name__}.")
            continue
        fields: JSONObject = {}
        names: dict[str, str] = {}
        for name, value in record.items():
            if not _json_safe(name):
                problems.append(f"{where}: a field name holds a NUL character or a lone surrogate.")
                continue
            normalised = _key(name)
            if normalised in fields:
                problems.append(f"{where}: field {name!r} is given twice (field names are compared ignoring case).")
            fields[normalised] = value
            names[normalised] = name
        before = len(problems)
        code = _text(fields.pop("code", None), where=where, name="code", problems=problems, required=True).upper()
        root = bool(ANNEX_RE.match(code))  # the consolidated file's annex-root record ("code": "A")
        if code:
            where = f"record {index} ({code})"
            if not root and not CODE_RE.match(code):
                problems.append(f"{where}: code {code!r} is not an IMDRF code (a letter A–G and 2–6 digits).")
                code = ""
        term = _text(fields.pop("term", None), where=where, name="term", problems=problems, required=True)
        definition = _text(fields.pop("definition", None), where=where, name="definition", problems=problems,
                           required=False)
        hierarchy = _text(fields.pop("codehierarchy", None), where=where, name="codehierarchy", problems=problems,
                          required=False)
        source_status = _text(fields.pop("status", None), where=where, name="status", problems=problems,
                              required=False)
        if root:
            path = [code] if hierarchy.strip().upper() in ("", code) else []
            if not path:
                problems.append(f"{where}: an annex-root record's codehierarchy is its letter, not {hierarchy!r}.")
        else:
            path = _path(code, hierarchy, where=where, problems=problems) if code else []
        if len(problems) > before or not path:
            continue
        place = ">".join(path)
        if place in seen:
            problems.append(f"{where}: the same place in the hierarchy ({place}) is already given by record {seen[place]}.")
            continue
        seen[place] = index
        extra = {names[key]: value for key, value in fields.items() if _json_safe(value)}
        terms.append(ParsedTerm(code=code, term=term, definition=definition, path=path, status=_status(source_status),
                                source_status=source_status[:100], extra=extra, root=root))
    return terms, problems


def _json_safe(value: JSONValue) -> bool:
    text = json.dumps(value, ensure_ascii=False)  # writes a NUL as the escape \u0000, which PostgreSQL refuses
    return "\\u0000" not in text and not _SURROGATE.search(text)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(raw: bytes) -> tuple[JSONValue, list[str]]:
    """The document, or the problems that keep it from being read: not UTF-8, not JSON (NaN and
    Infinity included), nested too deeply, a number of more digits than Python reads."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [f"The file is not UTF-8 text (byte {exc.start})."]
    try:
        return json.loads(text, parse_constant=_no_constant), []
    except json.JSONDecodeError as exc:
        return None, [f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."]
    except RecursionError:
        return None, ["The file is not valid JSON: nested too deeply."]
    except ValueError as exc:  # NaN, Infinity, or an integer of thousands of digits
        return None, [f"The file is not valid JSON here: {str(exc).split(';')[0]}."]


@audited_write  # the one lock order: the audit chain first, then rows (here the release's)
def imdrf_release_import(*, raw: bytes, year: int, source: str = "") -> ImportOutcome:
    """Load one file into release `year`: every record or none. Raises TerminologyImportFailed."""
    problems: list[str] = []
    if not EARLIEST_RELEASE <= year <= LATEST_RELEASE:
        problems.append(f"--release {year}: a release is a year between {EARLIEST_RELEASE} and {LATEST_RELEASE}.")
    data, json_problems = load_json(raw)
    problems += json_problems
    terms: list[ParsedTerm] = []
    if not json_problems:
        terms, record_problems = parse_records(data)
        problems += record_problems
    annexes = sorted({term.code[0] for term in terms})
    release = ImdrfRelease.objects.select_for_update(of=("self",)).filter(year=year).first()
    if release is not None and annexes:
        loaded = sorted(set(release.terms.filter(annex__in=annexes).values_list("annex", flat=True)))
        problems += [
            f"Annex {annex} of release {year} is already loaded; a loaded release never changes "
            "(load a correction as a new release)."
            for annex in loaded
        ]
    if problems:
        raise TerminologyImportFailed(problems)
    if release is None:
        release = ImdrfRelease.objects.create(year=year)
    rows = [
        ImdrfTerm(
            release=release, annex=term.code[0], code=term.code, term=term.term, definition=term.definition,
            hierarchy=">".join(term.path), parent_code=term.path[-2] if len(term.path) > 1 else "",
            level=0 if term.root else len(term.path), status=term.status, source_status=term.source_status, extra=term.extra,
            source_file=source[:255],
        )
        for term in terms
    ]
    try:
        with transaction.atomic():
            ImdrfTerm.objects.bulk_create(rows, batch_size=1000)
    except IntegrityError as exc:  # a concurrent import of the same annex won the race
        raise TerminologyImportFailed([f"Release {year} changed while loading: {exc}"]) from exc
    retired = sum(1 for term in terms if term.status == TermStatus.RETIRED)
    audit_record(actor=None, action="imdrf.release_loaded", object_type="imdrf_release", object_id=release.pk,
                 after={"release": year, "annexes": annexes, "terms": len(rows), "retired": retired, "source": source})
    return ImportOutcome(release=release, created=len(rows), annexes=annexes, retired=retired)


# --- reads ------------------------------------------------------------------------------------------


def imdrf_newest_release() -> ImdrfRelease | None:
    return ImdrfRelease.objects.order_by("-year").first()


def imdrf_terms_for(codes: list[str], *, release: ImdrfRelease | None = None) -> dict[str, ImdrfTerm]:
    """The newest release's term for each code (an active place in the hierarchy before a retired one)."""
    release = release if release is not None else imdrf_newest_release()
    if release is None or not codes:
        return {}
    found: dict[str, ImdrfTerm] = {}
    for term in ImdrfTerm.objects.filter(release=release, code__in=set(codes)).order_by("status", "hierarchy"):
        found.setdefault(term.code, term)  # "active" sorts before "retired"
    return found


def imdrf_term_choices(*, keep: list[str] | None = None) -> list[tuple[str, list[tuple[str, str]]]] | None:
    """The newest release's active terms to pick from, by annex and term: `[(annex label, [(code, label)])]`.

    None when no release is loaded. Codes in `keep` (an alert's current codes) are offered even when
    the release retired them, so that editing an alert never drops a code silently."""
    release = imdrf_newest_release()
    if release is None:
        return None
    keep = list(keep or [])
    rows = ImdrfTerm.objects.filter(release=release, level__gte=1).filter(
        models.Q(status=TermStatus.ACTIVE) | models.Q(code__in=keep)
    ).order_by("annex", "term", "code").values_list("annex", "code", "term", "status")
    groups: dict[str, list[tuple[str, str]]] = {}
    seen: set[str] = set()
    for annex, code, term, status in rows:
        if code in seen:
            continue  # a code under several parents is one choice
        seen.add(code)
        label = f"{term} ({code})" + (" — retired" if status == TermStatus.RETIRED else "")
        groups.setdefault(f"Annex {annex}", []).append((code, label))
    unknown = [code for code in keep if code not in seen]
    if unknown:
        groups["Not in release " + str(release.year)] = [(code, f"{code} — not in this release") for code in unknown]
    return list(groups.items())


def imdrf_codes_with_terms(codes: list[str]) -> list[tuple[str, str]]:
    """Each code with its term in the newest release (blank when the release does not know it)."""
    terms = imdrf_terms_for(list(codes))
    return [(code, terms[code].term if code in terms else "") for code in codes]


def imdrf_codes_check(codes: list[str]) -> None:
    """SPEC §2: codes must be in the newest loaded release and not retired there; with none loaded, any
    well-formed code is accepted. Raises ValidationFailed naming every refused code."""
    release = imdrf_newest_release()
    if release is None or not codes:
        return
    known = imdrf_terms_for(codes, release=release)
    messages = []
    for code in codes:
        term = known.get(code)
        if term is None:
            messages.append(f"{code} is not a code of IMDRF release {release.year}.")
        elif term.status == TermStatus.RETIRED:
            messages.append(f"{code} ({term.term}) is retired in IMDRF release {release.year}.")
    if messages:
        raise ValidationFailed(f"imdrf_codes: {' '.join(messages)}", errors={"imdrf_codes": messages})
