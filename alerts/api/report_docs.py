"""What the OpenAPI schema tells integrators about performance reports and signals (read by
config/schema.py beside alerts/api/docs.py)."""

from __future__ import annotations

from alerts.api.docs import ACK_EFFECT
from exchange.api.docs import LIST_NOTE, OperationDoc, doc, request_example

REPORT_VISIBILITY = (
    " Visibility: your member sees its own reports (drafts included) and published reports whose distribution "
    "includes it; anything else answers `404`."
)
REPORT_BODY = {
    "tool": "0b6f3c1e-8d4a-4b8e-9f2a-1c3d5e7f9a0b",
    "tool_version": "2.1",
    "period_start": "2026-01-01",
    "period_end": "2026-06-30",
    "setting": "Lung cancer screening programme",
    "country": "GB",
    "sample_size": 12000,
    "metrics": [{"metric": "sensitivity", "value": 0.81, "numerator": 810, "denominator": 1000}],
    "subgroups": [{"label": "age 70+", "dimension": "age band",
                   "metrics": [{"metric": "sensitivity", "value": 0.71, "numerator": 71, "denominator": 100}]}],
    "distribution": "network",
}

OPERATIONS: dict[str, OperationDoc] = {
    "reports_list": doc(
        "List real-world performance reports",
        "Reports your member may see, newest first. Filters: `status`, `tool`, `publisher`, `country`, "
        "`distribution`, `published_after`, `published_before`; `search` is ranked full-text search over the "
        "tool's name and manufacturer, the setting, population, method and data source (best match first, then "
        "newest). Any member user (`read`)." + REPORT_VISIBILITY + LIST_NOTE,
    ),
    "reports_create": doc(
        "Draft a performance report",
        "Creates a draft report of a tool's measured performance in one setting and period: metrics for the "
        "whole population and optional subgroups; from counts the service computes a Wilson interval. "
        "`supersedes` names a published report of yours that this one corrects. Assessors and above (`draft`). "
        "Records an audit entry; answers `201` with `Location`. Accepts `Idempotency-Key`.",
        request_example("A screening audit", REPORT_BODY),
    ),
    "reports_retrieve": doc("Read one performance report", "Any member user (`read`)." + REPORT_VISIBILITY),
    "reports_destroy": doc(
        "Delete a draft report",
        "Deletes a draft of your member's; a published report cannot be deleted (`409`). Assessors and above "
        "(`draft`). Records an audit entry.",
    ),
    "reports_publish_create": doc(
        "Publish a report",
        "Releases the draft to its distribution; a report it supersedes stops counting in pooled figures. "
        "Publishers (`publish`). Records an audit entry and the event `report.published`; signals for the tool "
        "are re-evaluated." + ACK_EFFECT.replace("an affected tool", "the tool"),
    ),
    "reports_acknowledgement_retrieve": doc(
        "Your member's acknowledgement of a report",
        "Its state, deadline, reliance decision and history; blank if your member has not answered. Any member "
        "user (`read`).",
    ),
    "reports_acknowledgement_update": doc(
        "Acknowledge a report for your member",
        "Sets your member's answer; states only move forward and repeating the current answer changes nothing. "
        "Assessors and above (`acknowledge`). Records an audit entry and the event `acknowledgement.updated`.",
        request_example("Not applicable", {"state": "not_applicable", "comment": "Tool not used here."}),
    ),
    "reports_import_create": doc(
        "Import reports from CSV",
        "Creates (and by default publishes) reports from a CSV file, one row per metric, sent as `text/csv` or "
        "as a multipart `file`. All or nothing: any problem refuses the whole file with every problem listed by "
        "line under `errors`. Publishers (`publish`). Records what each report's creation and publication "
        "record (audit entries, `report.published` events); answers `201` with `Location` of the first report "
        "and the ids of all.",
    ),
    "signals_list": doc(
        "List performance signals",
        "Signals raised when pooled evidence about a tool is credibly worse than its declared baseline (or a "
        "subgroup than the whole). Your member sees a signal only if it may see every report behind it. "
        "Filters: `tool`, `status`, `kind`, `metric`. Any member user (`read`)." + LIST_NOTE,
    ),
    "signals_retrieve": doc(
        "Read one signal",
        "The pooled value, its interval, the reference it is compared with and the evidence reports. Any member "
        "user (`read`); a signal resting on a report your member may not see answers `404`.",
    ),
    "signals_draft_alert_create": doc(
        "Draft an alert from a signal",
        "Creates a draft alert of your member's pre-filled from the signal's evidence, distributed no wider "
        "than the evidence (`409` if only part of it is visible to your member). Publishers (`publish`). "
        "Records an audit entry; answers `201` with the alert, its `Location` and `ETag`.",
    ),
}
