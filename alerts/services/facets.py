"""The routing facets an alert's events carry (docs/architecture.md, "Events and fan-out")."""

from __future__ import annotations

from typing import Any

from alerts.models import Alert
from alerts.selectors import tools_authorised_in


def alert_facets(alert: Alert) -> dict[str, Any]:
    rows = list(alert.affected_tool_rows.select_related("tool"))
    tool_ids = [str(row.tool_id) for row in rows]
    return {
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "tools": tool_ids,
        "manufacturers": sorted({row.tool.manufacturer.lower() for row in rows}),
        "clinical_areas": sorted({row.tool.clinical_area for row in rows}),
        "jurisdictions": sorted(alert.jurisdiction_rows.values_list("jurisdiction", flat=True)),
        "authorised_in": tools_authorised_in(tool_ids),
        "publisher": alert.publisher.code,
    }
