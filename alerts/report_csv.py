"""Reading the CSV of performance reports: pure parsing, no database (SPEC §6's report fields).

One row per metric. Rows sharing the `report` key form one report; report-level columns are read
from its first row and must not differ on later rows. A blank `subgroup` means the whole
population. `status` is `published` (default) or `draft`. Problems are collected as (line, text)
so that the import lists every one of them; `reports_import` (alerts/services/report_import.py)
validates and writes what this returns.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

REQUIRED = ("report", "tool", "tool_version", "period_start", "period_end", "setting", "country", "sample_size",
            "metric", "value")
OPTIONAL = ("population", "method", "data_source", "distribution", "recipients", "subgroup", "subgroup_dimension",
            "ci_low", "ci_high", "numerator", "denominator", "status", "supersedes", "supersede_reason")
REPORT_LEVEL = ("tool", "tool_version", "period_start", "period_end", "setting", "country", "population",
                "sample_size", "method", "data_source", "distribution", "recipients", "status", "supersedes",
                "supersede_reason")
TEXT_FIELDS = ("tool", "tool_version", "period_start", "period_end", "setting", "country", "population",
               "sample_size", "method", "data_source", "supersede_reason")
MAX_ROWS = 20000
CSV_CHUNK = 64 * 1024

Problem = tuple[int, str]  # (CSV line, what is wrong)


class CsvUnreadable(Exception):
    """The file as a whole cannot be read (encoding, header, length): nothing else is reported."""

    def __init__(self, detail: str, errors: dict[str, list[str]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def _not_readable(reason: str) -> CsvUnreadable:
    return CsvUnreadable(f"The file is not readable: {reason}.", {"file": [reason]})


@dataclass
class ReportRows:
    """The rows of one report key: its first row's report-level columns, its metrics and subgroups."""

    first_line: int
    head: dict[str, str]
    metric_lines: list[int] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    subgroups: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    subgroup_lines: dict[str, list[int]] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return (self.head.get("status") or "published").lower()

    def data(self) -> dict[str, Any]:
        """The report as the report service's input (before its field types are checked)."""
        head = self.head
        data: dict[str, Any] = {key: head.get(key, "") for key in TEXT_FIELDS}
        data["distribution"] = head.get("distribution") or "network"
        data["recipients"] = [c for c in re.split(r"[;\s]+", head.get("recipients", "")) if c]
        data["supersedes"] = head.get("supersedes") or None
        data["metrics"] = self.metrics
        data["subgroups"] = list(self.subgroups.values())
        return data

    def line_of(self, path: str) -> int:
        """The CSV line of a field path such as metrics[2].value or subgroups[0].metrics[1].value."""
        match = re.match(r"^subgroups\[(\d+)\](?:\.metrics\[(\d+)\])?", path)
        if match:
            labels = list(self.subgroups)
            index = int(match.group(1))
            if index < len(labels):
                lines = self.subgroup_lines[labels[index]]
                m_index = int(match.group(2) or 0)
                return lines[m_index] if m_index < len(lines) else lines[0]
        match = re.match(r"^metrics\[(\d+)\]", path)
        if match and int(match.group(1)) < len(self.metric_lines):
            return self.metric_lines[int(match.group(1))]
        return self.first_line

    def add(self, number: int, row: dict[str, str]) -> None:
        label = row.get("subgroup", "")
        if label:
            sub = self.subgroups.setdefault(
                label, {"label": label, "dimension": row.get("subgroup_dimension", ""), "metrics": []}
            )
            sub["metrics"].append(_metric_item(row))
            self.subgroup_lines.setdefault(label, []).append(number)
        else:
            self.metrics.append(_metric_item(row))
            self.metric_lines.append(number)


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _metric_item(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"metric": row["metric"].strip(), "value": row["value"].strip()}
    for key in ("ci_low", "ci_high", "numerator", "denominator"):
        item[key] = _blank_to_none(row.get(key))
    return item


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


def _checked(lines: Iterable[str]) -> Iterator[str]:
    try:
        for index, line in enumerate(lines):
            if "\x00" in line:
                raise _not_readable("the file contains a NUL character")
            yield line.lstrip("\ufeff") if index == 0 else line
    except UnicodeDecodeError as exc:
        raise _not_readable("the file must be UTF-8 encoded") from exc


def _reader(lines: Iterable[str]) -> csv.DictReader[str]:
    try:
        reader = csv.DictReader(_checked(lines))
        headers = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise CsvUnreadable(f"line 1: not readable as CSV ({exc}).", {"line 1": [str(exc)]}) from exc
    missing = [h for h in REQUIRED if h not in headers]
    unknown = [h for h in headers if h not in REQUIRED + OPTIONAL]
    parts = [f"missing column(s) {', '.join(missing)}" if missing else "",
             f"unknown column(s) {', '.join(unknown)}" if unknown else ""]
    if missing or unknown:
        message = "; ".join(part for part in parts if part)
        raise CsvUnreadable(f"line 1: {message}.", {"line 1": [message]})
    return reader


def _row_problem(number: int, raw_row: dict[str | Any, Any], row: dict[str, str]) -> str | None:
    if number - 1 > MAX_ROWS:
        raise CsvUnreadable(f"The file has more than {MAX_ROWS} rows; split it.", {"file": ["too long"]})
    if None in raw_row:
        return "more values than columns"
    if any(row.values()) and not row.get("report", ""):
        return "report: the grouping key is blank"
    return None


def _differences(number: int, row: dict[str, str], rows: ReportRows, key: str) -> list[Problem]:
    return [
        (number, f"{column}: differs from line {rows.first_line} of report {key!r}")
        for column in REPORT_LEVEL
        if row.get(column, "") and row.get(column, "") != rows.head.get(column, "")
    ]


def reports_read(lines: Iterable[str]) -> tuple[OrderedDict[str, ReportRows], list[Problem]]:
    """The file's rows grouped by report key, and the problems of its rows (raises CsvUnreadable)."""
    reader = _reader(lines)
    groups: OrderedDict[str, ReportRows] = OrderedDict()
    problems: list[Problem] = []
    try:
        for number, raw_row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in raw_row.items() if k is not None}
            problem = _row_problem(number, raw_row, row)
            if problem is not None:
                problems.append((number, problem))
                continue
            if not any(row.values()):
                continue
            key = row.get("report", "")
            rows = groups.get(key)
            if rows is None:
                rows = groups[key] = ReportRows(first_line=number, head=row)
            else:
                problems.extend(_differences(number, row, rows, key))
            rows.add(number, row)
    except csv.Error as exc:
        problems.append((reader.line_num, f"not readable as CSV ({exc})"))
    return groups, problems
