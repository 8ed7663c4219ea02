"""Vocabulary of the network: member status, roles and the scopes each role allows."""

from __future__ import annotations

from django.db import models


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    ASSESSOR = "assessor", "Assessor"
    PUBLISHER = "publisher", "Publisher"
    ADMIN = "admin", "Admin"


class Scope(models.TextChoices):
    READ = "read", "Read"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    DRAFT = "draft", "Draft"
    PUBLISH = "publish", "Publish"
    ADMIN = "admin", "Admin"


ROLE_ORDER: tuple[str, ...] = (Role.VIEWER, Role.ASSESSOR, Role.PUBLISHER, Role.ADMIN)

# Roles are cumulative: each allows what the one below allows, and more.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({Scope.READ}),
    Role.ASSESSOR: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT}),
    Role.PUBLISHER: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT, Scope.PUBLISH}),
    Role.ADMIN: frozenset({Scope.READ, Scope.ACKNOWLEDGE, Scope.DRAFT, Scope.PUBLISH, Scope.ADMIN}),
}
SCOPE_ORDER: tuple[str, ...] = tuple(choice.value for choice in Scope)


def scopes_for_role(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())


def sorted_scopes(scopes: frozenset[str] | set[str] | list[str]) -> list[str]:
    return [scope for scope in SCOPE_ORDER if scope in scopes]


class AudienceKind(models.TextChoices):
    """Who an event is for: every active member, everyone (public), or listed members."""

    PUBLIC = "public", "Public"
    NETWORK = "network", "Network"
    MEMBERS = "members", "Listed members"


class EventType(models.TextChoices):
    """Every event type of SPEC §4. Subscriptions select among these."""

    ALERT_PUBLISHED = "alert.published", "Alert published"
    ALERT_AMENDED = "alert.amended", "Alert amended"
    ALERT_CLOSED = "alert.closed", "Alert closed"
    ALERT_WITHDRAWN = "alert.withdrawn", "Alert withdrawn"
    REPORT_PUBLISHED = "report.published", "Report published"
    SIGNAL_DETECTED = "signal.detected", "Signal detected"
    ACKNOWLEDGEMENT_UPDATED = "acknowledgement.updated", "Acknowledgement updated"
    ACKNOWLEDGEMENT_OVERDUE = "acknowledgement.overdue", "Acknowledgement overdue"
    ENDPOINT_DISABLED = "endpoint.disabled", "Webhook endpoint disabled"
    PING = "ping", "Ping (test message to one endpoint)"
    # Appended, never inserted: each type's bit is its position, stored in subscriptions' masks.
    AUDIT_CHECKPOINT = "audit.checkpoint", "Audit checkpoint"
    AUTHORISATION_CHANGED = "authorisation.changed", "Authorisation recorded or changed"
    RELIANCE_REVIEW_OPENED = "reliance.review_opened", "Reliance review opened"
    RELIANCE_REVIEW_DECIDED = "reliance.review_decided", "Reliance review decided"
    REQUEST_OPENED = "request.opened", "Information request opened"
    REQUEST_ANSWERED = "request.answered", "Information request answered"
    REQUEST_CLOSED = "request.closed", "Information request closed"


# One bit per event type, in declaration order: a subscription stores the OR of the types it wants
# (0 = every type), so matching by type is a column test, not a join.
EVENT_TYPE_BITS: dict[str, int] = {value: 1 << index for index, value in enumerate(EventType.values)}

# Alert types and severities are the content's vocabularies: exchange receives them by registration
# (exchange.vocabularies), never by a copy here.


class Channel(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "E-mail"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# States in which a delivery still waits for an attempt.
OPEN_DELIVERY_STATES: tuple[str, ...] = (DeliveryState.PENDING, DeliveryState.RETRYING)


class SigningKeyStatus(models.TextChoices):
    """A member's signing key: `active` signs; `retired` stays published so that old signatures verify."""

    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class MailKind(models.TextChoices):
    """The e-mails written to one person (exchange.models.PersonalEmail)."""

    IMMEDIATE = "immediate", "Immediate notification"
    DIGEST = "digest", "Daily digest"
    MORE = "more", "Summary of the e-mails held back this hour"
    REMINDER = "reminder", "Reminder"


class NoticeMode(models.TextChoices):
    """How a user wants one kind of item (SPEC §10.4, Appendix B)."""

    IMMEDIATE = "immediate", "Immediately"
    DAILY_DIGEST = "daily_digest", "In the daily digest"
    OFF = "off", "Never"


class PreferenceItem(models.TextChoices):
    """The kinds of item a user sets a preference for, most urgent first (the digest's order)."""

    ALERT_CRITICAL = "alert.critical", "Critical safety alerts"
    ALERT_HIGH = "alert.high", "High-severity safety alerts"
    RELIANCE_REVIEW = "reliance_review", "Reliance reviews"
    REQUEST = "request", "Information requests"
    PROBLEM = "problem", "Acknowledgement and delivery problems"
    ALERT_MEDIUM = "alert.medium", "Medium-severity safety alerts"
    ALERT_LOW = "alert.low", "Low-severity safety alerts"
    SIGNAL = "signal", "Signals"
    REPORT = "report", "Performance reports"


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    ES = "es", "Español"
    JA = "ja", "日本語"
