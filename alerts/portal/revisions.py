"""What changed between an alert's revisions, for the portal's revision history (changes highlighted)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from alerts.models import AlertRevision

FIELD_LABELS: dict[str, str | Promise] = {
    "title": _("Title"),
    "summary": _("Summary"),
    "description": _("Description"),
    "alert_type": _("Alert type"),
    "severity": _("Severity"),
    "hazard": _("Hazard"),
    "harm": _("Harm"),
    "recommended_actions": _("Recommended actions"),
    "imdrf_codes": _("IMDRF codes"),
    "publisher_reference": _("Publisher's reference"),
    "distribution": _("Distribution"),
    "affected_tools": _("Affected tools"),
    "affected_jurisdictions": _("Affected jurisdictions"),
    "recipients": _("Recipients"),
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
