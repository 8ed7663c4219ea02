"""What changed between an alert's revisions, for the portal's revision history (changes highlighted)."""

from __future__ import annotations

from typing import Any

from alerts.models import AlertRevision

FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "summary": "Summary",
    "description": "Description",
    "alert_type": "Alert type",
    "severity": "Severity",
    "hazard": "Hazard",
    "harm": "Harm",
    "recommended_actions": "Recommended actions",
    "imdrf_codes": "IMDRF codes",
    "publisher_reference": "Publisher's reference",
    "distribution": "Distribution",
    "affected_tools": "Affected tools",
    "affected_jurisdictions": "Affected jurisdictions",
    "recipients": "Recipients",
}


def display_value(field: str, value: Any) -> str:
    """A stored revision value as text a person reads."""
    if value in (None, "", []):
        return "—"
    if field == "affected_tools" and isinstance(value, list):
        parts = []
        for row in value:
            name = row.get("name") or row.get("tool")
            versions = row.get("versions")
            parts.append(f"{name} ({versions})" if versions else str(name))
        return "; ".join(parts)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def revision_changes(revisions: list[AlertRevision]) -> list[dict[str, Any]]:
    """Each revision with the fields it changed (AlertRevision.changed_fields): before and after."""
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] = {}
    for revision in revisions:
        content = revision.content or {}
        changes = [
            {
                "field": field,
                "label": FIELD_LABELS.get(field, field.replace("_", " ").capitalize()),
                "before": display_value(field, previous.get(field)),
                "after": display_value(field, content.get(field)),
            }
            for field in revision.changed_fields or []
        ]
        out.append({"revision": revision, "changes": changes, "changed": set(revision.changed_fields or [])})
        previous = content
    return out
