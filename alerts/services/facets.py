"""The routing facets an alert's events carry (docs/architecture.md, "Events and fan-out"), and the
alert's rows they are computed from, read once per write.

A publication or material amendment asks three things of the same rows: the event's facets, whom to
ask for an acknowledgement, and which reliance reviews to open. Each used to read the alert's tools,
jurisdictions, the tools' authorisations and its audience again (issue #29: the tools four times in one
publication); `alert_scope` reads them once and the three take it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Prefetch, prefetch_related_objects

from alerts.models import Alert, AlertTool
from alerts.selectors import alert_audience_members
from alerts.services.versions import jurisdictions_covered
from exchange.json_types import JSONObject


@dataclass
class AlertScope:
    """What an alert reaches, as it stands in the writing transaction."""

    alert: Alert
    tool_rows: list[AlertTool]  # its affected tools, each with its tool
    jurisdictions: list[str]  # its affected jurisdictions, sorted
    authorised_in: list[str]  # where a current authorisation covers an affected version (SPEC §10.2)
    authorised_uncovered: list[str]  # where the tools are authorised, but for none of the affected versions

    @cached_property
    def audience(self) -> dict[int, str]:
        """The active members of its audience (publisher included): id → country (read when first asked:
        the facets alone do not need it)."""
        return dict(alert_audience_members(self.alert).values_list("pk", "country"))


def alert_scope(alert: Alert) -> AlertScope:
    """Read once: the rows `alerts_with_details` prefetched are used as they are (no query), others are
    read (and kept on the alert); then the tools' current authorisations, and the audience when asked."""
    prefetch_related_objects(
        [alert], Prefetch("affected_tool_rows", queryset=AlertTool.objects.select_related("tool")), "jurisdiction_rows",
    )
    rows = list(alert.affected_tool_rows.all())
    covered, uncovered = jurisdictions_covered(rows)
    return AlertScope(
        alert=alert,
        tool_rows=rows,
        jurisdictions=sorted(row.jurisdiction for row in alert.jurisdiction_rows.all()),
        authorised_in=covered,
        authorised_uncovered=uncovered,
    )


def alert_facets(alert: Alert, scope: AlertScope | None = None) -> JSONObject:
    scope = scope or alert_scope(alert)
    rows = scope.tool_rows
    return {
        "alert_type": alert.alert_type,
        "severity": alert.severity,
        "tools": [str(row.tool_id) for row in rows],
        "manufacturers": sorted({row.tool.manufacturer.lower() for row in rows}),
        "clinical_areas": sorted({row.tool.clinical_area for row in rows}),
        "jurisdictions": scope.jurisdictions,
        # Where a current authorisation covers an affected version (SPEC §10.2), not merely the tool.
        "authorised_in": scope.authorised_in,
        "publisher": alert.publisher.code,
    }
