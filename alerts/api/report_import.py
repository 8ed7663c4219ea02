"""How each row of a CSV import of performance reports is checked: with the API's own input
serializer, so that a report imported from a file (the REST endpoint, the portal's upload page, the
`import_reports` command) is held to the same rules as one posted alone. The import itself is the use
case `alerts.services.report_import.reports_import`, which every interface calls with this check.
"""

from __future__ import annotations

from typing import Any

from alerts.api.report_serializers import ReportInputSerializer
from exchange.errors import error_paths

__all__ = ["report_input_validate"]


def report_input_validate(data: dict[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    form = ReportInputSerializer(data=data)
    if form.is_valid():
        return dict(form.validated_data), []
    return None, list(error_paths(form.errors))
