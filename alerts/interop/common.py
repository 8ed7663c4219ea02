"""What the CAP and FHIR exports share: the alert's messages, names of places, safe text, links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pycountry

from alerts.choices import AlertStatus, Distribution
from alerts.models import Alert, AlertRevision


def jurisdiction_name(code: str) -> str:
    if code == "EU":
        return "European Union"
    country = pycountry.countries.get(alpha_2=code)
    return str(getattr(country, "common_name", None) or getattr(country, "name", code)) if country else code


def utc_iso(value: datetime) -> str:
    """CAP's dateTime: seconds precision, an explicit offset, UTC written as -00:00 (CAP 1.2 §3.3.2)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


@dataclass(frozen=True)
class Links:
    """Absolute links of one deployment: where an alert's pages are (the view knows the host)."""

    site: str  # e.g. "https://exchange.example" (no trailing slash)

    def public_page(self, alert: Alert) -> str:
        return f"{self.site}/public/alerts/{alert.reference}/"

    def portal_page(self, alert: Alert) -> str:
        return f"{self.site}/alerts/{alert.pk}/"

    def page(self, alert: Alert) -> str:
        """The page a reader of the export can open: the public page for public alerts, else the portal."""
        if alert.distribution == Distribution.PUBLIC and alert.status != AlertStatus.DRAFT:
            return self.public_page(alert)
        return self.portal_page(alert)

    def naming(self, name: str) -> str:
        """An identifier system (URI) of this deployment, e.g. `…/ns/alert-reference`."""
        return f"{self.site}/ns/{name}"


@dataclass(frozen=True)
class Message:
    """One CAP message of an alert's history: a revision, the closure, or the withdrawal."""

    identifier: str
    sent: datetime
    kind: str  # "revision", "closed", "withdrawn", "draft"
    revision: AlertRevision | None


def alert_messages(alert: Alert, revisions: list[AlertRevision]) -> list[Message]:
    """The alert's messages in order: one per published revision, then the closure, then the withdrawal.

    Identifiers are stable: the same revision always gives the same message, so aggregators that
    follow the feed see each message once and `references` point at messages they have seen."""
    if alert.status == AlertStatus.DRAFT or alert.reference is None:
        return [Message(identifier=f"{alert.pk}-draft-v{alert.version}", sent=alert.updated_at,
                        kind="draft", revision=None)]
    messages = [
        Message(identifier=f"{alert.reference}-r{revision.number}", sent=revision.created_at, kind="revision",
                revision=revision)
        for revision in sorted(revisions, key=lambda r: r.number)
    ]
    if alert.closed_at is not None:
        messages.append(Message(identifier=f"{alert.reference}-closed", sent=alert.closed_at, kind="closed",
                                revision=messages[-1].revision if messages else None))
    if alert.status == AlertStatus.WITHDRAWN and alert.withdrawn_at is not None:
        messages.append(Message(identifier=f"{alert.reference}-withdrawn", sent=alert.withdrawn_at,
                                kind="withdrawn", revision=messages[-1].revision if messages else None))
    return messages
