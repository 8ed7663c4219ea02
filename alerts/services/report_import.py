"""Importing performance reports from CSV: all or nothing, every problem listed by its line.

Named steps: read the file (`alerts.report_csv.reports_read`, pure), check each report's fields
(`validate`, the interface's input schema: the API's `ReportInputSerializer`), then write through
the report service (`report_draft_create`, `report_publish`) in one audited transaction that rolls
back if any report is refused.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from alerts.models import Report
from alerts.report_csv import CsvUnreadable, Problem, ReportRows, reports_read
from alerts.services.reports import report_draft_create, report_publish
from exchange.errors import ServiceError, ValidationFailed, error_paths
from exchange.json_types import JSONObject
from exchange.models import Member, User
from exchange.services.chain import audited_transaction

# The field check of one report's data: (the typed data, []) or (None, [(field path, message), …]).
Validate = Callable[[JSONObject], tuple[JSONObject | None, list[tuple[str, str]]]]


class ImportFailed(ValidationFailed):
    slug = "import-failed"
    title = _("The import was refused; nothing was written")


class _Rollback(Exception):
    pass


def _located(rows: ReportRows, paths: Iterable[tuple[str, str]]) -> list[Problem]:
    return [(rows.line_of(path), f"{path}: {message}" if path else message) for path, message in paths]


def _validated(
    groups: Iterable[ReportRows], validate: Validate, problems: list[Problem]
) -> list[tuple[ReportRows, JSONObject]]:
    """Each report's typed data; the problems of the others are added to `problems`."""
    prepared: list[tuple[ReportRows, JSONObject]] = []
    for rows in groups:
        if rows.status not in ("published", "draft"):
            problems.append((rows.first_line, f"status: {rows.status!r} is not 'published' or 'draft'"))
        data, errors = validate(rows.data())
        if data is None:
            problems.extend(_located(rows, errors))
            continue
        prepared.append((rows, data))
    return prepared


def _written(
    *, actor: User | None, member: Member, prepared: list[tuple[ReportRows, JSONObject]], problems: list[Problem]
) -> list[Report]:
    """Every report written, or none if any problem is known by the end."""
    created: list[Report] = []
    try:
        with audited_transaction():
            for rows, data in prepared:
                try:
                    with transaction.atomic():
                        report = report_draft_create(actor=actor, member=member, data=data)
                        if rows.status == "published":
                            report = report_publish(actor=actor, member=member, report=report)
                        created.append(report)
                except ServiceError as exc:
                    problems.extend(_located(rows, error_paths(exc.errors or {"": [exc.detail]})))
            if problems:
                raise _Rollback
    except _Rollback:
        pass
    return created


def _refusal(problems: list[Problem]) -> ImportFailed:
    problems.sort()
    errors: dict[str, list[str]] = OrderedDict()
    for line, message in problems:
        errors.setdefault(f"line {line}", []).append(message)
    first_line, first = problems[0]
    return ImportFailed(f"{len(problems)} problem(s); nothing was imported. First: line {first_line}: {first}", errors=errors)


def reports_import(
    *, actor: User | None, member: Member, text: str | Iterable[str], validate: Validate
) -> list[Report]:
    """Import from CSV text or an iterable of its lines (streamed: the file is never held whole)."""
    try:
        groups, problems = reports_read(io.StringIO(text) if isinstance(text, str) else text)
    except CsvUnreadable as exc:
        raise ImportFailed(exc.detail, errors=exc.errors) from None
    if not groups and not problems:
        raise ImportFailed("The file holds no report rows.", errors={"file": ["no rows"]})
    prepared = _validated(groups.values(), validate, problems)
    created = _written(actor=actor, member=member, prepared=prepared, problems=problems)
    if problems:
        raise _refusal(problems)
    return created
