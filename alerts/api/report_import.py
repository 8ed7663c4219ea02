"""CSV import of performance reports: all or nothing, every problem listed by line.

One row per metric. Rows sharing the `report` key form one report; report-level columns are read
from its first row and must not differ on later rows. A blank `subgroup` means the whole
population. `status` is `published` (default) or `draft`.

An interface, like the API views it sits beside (the REST endpoint, the portal's upload page and the
`import_reports` command all call it): it parses the file, validates each report with the API's own
input serializer, and writes through the report service (`report_draft_create`, `report_publish`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from alerts.api.report_serializers import ReportInputSerializer
from alerts.models import Report
from alerts.services.reports import report_draft_create, report_publish
from exchange.errors import ServiceError, ValidationFailed, error_paths
from exchange.models import Member, User
from exchange.services.chain import audited_transaction

REQUIRED = ("report", "tool", "tool_version", "period_start", "period_end", "setting", "country", "sample_size",
            "metric", "value")
OPTIONAL = ("population", "method", "data_source", "distribution", "recipients", "subgroup", "subgroup_dimension",
            "ci_low", "ci_high", "numerator", "denominator", "status", "supersedes", "supersede_reason")
REPORT_LEVEL = ("tool", "tool_version", "period_start", "period_end", "setting", "country", "population",
                "sample_size", "method", "data_source", "distribution", "recipients", "status", "supersedes",
                "supersede_reason")
MAX_ROWS = 20000
CSV_CHUNK = 64 * 1024


class ImportFailed(ValidationFailed):
    slug = "import-failed"
    title = "The import was refused; nothing was written"


@dataclass
class _Group:
    first_line: int
    head: dict[str, str]
    metric_lines: list[int] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    subgroups: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    subgroup_lines: dict[str, list[int]] = field(default_factory=dict)


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _metric_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"metric": row["metric"].strip(), "value": row["value"].strip()}
    for key in ("ci_low", "ci_high", "numerator", "denominator"):
        item[key] = _blank_to_none(row.get(key))
    return item


def _line_of(path: str, group: _Group) -> int:
    """Map a field path such as metrics[2].value or subgroups[0].metrics[1].value to its CSV line."""
    match = re.match(r"^subgroups\[(\d+)\](?:\.metrics\[(\d+)\])?", path)
    if match:
        labels = list(group.subgroups)
        index = int(match.group(1))
        if index < len(labels):
            lines = group.subgroup_lines[labels[index]]
            m_index = int(match.group(2) or 0)
            return lines[m_index] if m_index < len(lines) else lines[0]
    match = re.match(r"^metrics\[(\d+)\]", path)
    if match and int(match.group(1)) < len(group.metric_lines):
        return group.metric_lines[int(match.group(1))]
    return group.first_line


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 lines (ends kept) decoded from byte chunks as they arrive: nothing is read whole."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


class _NotUtf8(Exception):
    pass


def _checked(lines: Iterable[str]) -> Iterator[str]:
    try:
        for line in lines:
            if "\x00" in line:
                raise _NotUtf8("the file contains a NUL character")
            yield line
    except UnicodeDecodeError as exc:
        raise _NotUtf8("the file must be UTF-8 encoded") from exc


def reports_import(*, actor: User | None, member: Member, text: str | Iterable[str]) -> list[Report]:
    """Import from CSV text or an iterable of its lines (streamed: the file is never held whole)."""
    try:
        return _reports_import(actor=actor, member=member, lines=io.StringIO(text) if isinstance(text, str) else text)
    except _NotUtf8 as exc:
        raise ImportFailed(f"The file is not readable: {exc}.", errors={"file": [str(exc)]}) from None


def _reports_import(*, actor: User | None, member: Member, lines: Iterable[str]) -> list[Report]:
    problems: list[tuple[int, str]] = []
    source = (line.lstrip("\ufeff") if index == 0 else line for index, line in enumerate(_checked(lines)))
    try:
        reader = csv.DictReader(source)
        headers = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ImportFailed(f"line 1: not readable as CSV ({exc}).", errors={"line 1": [str(exc)]}) from exc
    missing = [h for h in REQUIRED if h not in headers]
    unknown = [h for h in headers if h not in REQUIRED + OPTIONAL]
    if missing or unknown:
        message = "; ".join(
            part for part in (
                f"missing column(s) {', '.join(missing)}" if missing else "",
                f"unknown column(s) {', '.join(unknown)}" if unknown else "",
            ) if part
        )
        raise ImportFailed(f"line 1: {message}.", errors={"line 1": [message]})
    groups: OrderedDict[str, _Group] = OrderedDict()
    try:
        for number, raw_row in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                raise ImportFailed(f"The file has more than {MAX_ROWS} rows; split it.", errors={"file": ["too long"]})
            row = {k.strip(): (v or "").strip() for k, v in raw_row.items() if k is not None}
            if None in raw_row:
                problems.append((number, "more values than columns"))
                continue
            if not any(row.values()):
                continue
            key = row.get("report", "")
            if not key:
                problems.append((number, "report: the grouping key is blank"))
                continue
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(first_line=number, head=row)
            else:
                for column in REPORT_LEVEL:
                    if row.get(column, "") and row.get(column, "") != group.head.get(column, ""):
                        problems.append((number, f"{column}: differs from line {group.first_line} of report {key!r}"))
            label = row.get("subgroup", "")
            if label:
                sub = group.subgroups.setdefault(
                    label, {"label": label, "dimension": row.get("subgroup_dimension", ""), "metrics": []}
                )
                sub["metrics"].append(_metric_item(row))
                group.subgroup_lines.setdefault(label, []).append(number)
            else:
                group.metrics.append(_metric_item(row))
                group.metric_lines.append(number)
    except csv.Error as exc:
        problems.append((reader.line_num, f"not readable as CSV ({exc})"))
    if not groups and not problems:
        raise ImportFailed("The file holds no report rows.", errors={"file": ["no rows"]})

    prepared: list[tuple[_Group, dict[str, Any], str]] = []
    for group in groups.values():
        head = group.head
        data: dict[str, Any] = {
            key: head.get(key, "") for key in ("tool", "tool_version", "period_start", "period_end", "setting",
                                               "country", "population", "sample_size", "method", "data_source",
                                               "supersede_reason")
        }
        data["distribution"] = head.get("distribution") or "network"
        data["recipients"] = [c for c in re.split(r"[;\s]+", head.get("recipients", "")) if c]
        data["supersedes"] = head.get("supersedes") or None
        data["metrics"] = group.metrics
        data["subgroups"] = list(group.subgroups.values())
        status = (head.get("status") or "published").lower()
        if status not in ("published", "draft"):
            problems.append((group.first_line, f"status: {status!r} is not 'published' or 'draft'"))
        form = ReportInputSerializer(data=data)
        if not form.is_valid():
            for path, message in error_paths(form.errors):
                problems.append((_line_of(path, group), f"{path}: {message}" if path else message))
            continue
        prepared.append((group, dict(form.validated_data), status))

    created: list[Report] = []
    try:
        with audited_transaction():
            for group, data, status in prepared:
                try:
                    with transaction.atomic():
                        report = report_draft_create(actor=actor, member=member, data=data)
                        if status == "published":
                            report = report_publish(actor=actor, member=member, report=report)
                        created.append(report)
                except ServiceError as exc:
                    for path, message in error_paths(exc.errors or {"": [exc.detail]}):
                        problems.append((_line_of(path, group), f"{path}: {message}" if path else message))
            if problems:
                raise _Rollback
    except _Rollback:
        pass
    if problems:
        problems.sort()
        errors: dict[str, list[str]] = OrderedDict()
        for line, message in problems:
            errors.setdefault(f"line {line}", []).append(message)
        first_line, first = problems[0]
        raise ImportFailed(
            f"{len(problems)} problem(s); nothing was imported. First: line {first_line}: {first}", errors=errors
        )
    return created


class _Rollback(Exception):
    pass
