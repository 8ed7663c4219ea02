"""The CSV import of performance reports as the interfaces call it (the REST endpoint, the portal's
upload page and the `import_reports` command): the use case is `alerts.services.report_import`,
which checks each report with the API's own input serializer, given here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.api.report_serializers import ReportInputSerializer
from alerts.models import Report
from alerts.report_csv import CSV_CHUNK, MAX_ROWS, text_lines
from alerts.services import report_import
from alerts.services.report_import import ImportFailed
from exchange.errors import error_paths
from exchange.models import Member, User

__all__ = ["CSV_CHUNK", "MAX_ROWS", "ImportFailed", "report_input_validate", "reports_import", "text_lines"]


def report_input_validate(data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    form = ReportInputSerializer(data=data)
    if form.is_valid():
        return dict(form.validated_data), []
    return None, list(error_paths(form.errors))


def reports_import(*, actor: User | None, member: Member, text: str | Iterable[str]) -> list[Report]:
    return report_import.reports_import(actor=actor, member=member, text=text, validate=report_input_validate)
