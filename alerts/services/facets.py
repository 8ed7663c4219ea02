"""The routing facets an alert's events carry (docs/architecture.md, "Events and fan-out")."""

from __future__ import annotations

from alerts.models import Alert
from alerts.services.versions import jurisdictions_covered
from exchange.json_types import JSONObject


def alert_facets(alert: Alert) -> JSONObject:
    rows = list(alert.affected_tool_rows.select_related("tool"))
    tool_ids = [str(row.tool_id) for row in rows]
    return {
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "tools": tool_ids,
        "manufacturers": sorted({row.tool.manufacturer.lower() for row in rows}),
        "clinical_areas": sorted({row.tool.clinical_area for row in rows}),
        "jurisdictions": sorted(alert.jurisdiction_rows.values_list("jurisdiction", flat=True)),
        # Where a current authorisation covers an affected version (SPEC §10.2), not merely the tool.
        "authorised_in": jurisdictions_covered(rows)[0],
        "publisher": alert.publisher.code,
    }
