"""Vocabulary of the network: member status, roles and the scopes each role allows."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    ASSESSOR = "assessor", _("Assessor")
    PUBLISHER = "publisher", _("Publisher")
    ADMIN = "admin", _("Admin")


class Scope(models.TextChoices):
    READ = "read", _("Read")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    DRAFT = "draft", _("Draft")
    PUBLISH = "publish", _("Publish")
    ADMIN = "admin", _("Admin")


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

    PUBLIC = "public", _("Public")
    NETWORK = "network", _("Network")
    MEMBERS = "members", _("Listed members")


class EventType(models.TextChoices):
    """Every event type of SPEC §4. Subscriptions select among these."""

    ALERT_PUBLISHED = "alert.published", _("Alert published")
    ALERT_AMENDED = "alert.amended", _("Alert amended")
    ALERT_CLOSED = "alert.closed", _("Alert closed")
    ALERT_WITHDRAWN = "alert.withdrawn", _("Alert withdrawn")
    REPORT_PUBLISHED = "report.published", _("Report published")
    SIGNAL_DETECTED = "signal.detected", _("Signal detected")
    ACKNOWLEDGEMENT_UPDATED = "acknowledgement.updated", _("Acknowledgement updated")
    ACKNOWLEDGEMENT_OVERDUE = "acknowledgement.overdue", _("Acknowledgement overdue")
    ENDPOINT_DISABLED = "endpoint.disabled", _("Webhook endpoint disabled")
    PING = "ping", _("Ping (test message to one endpoint)")
    # Appended, never inserted: each type's bit is its position, stored in subscriptions' masks.
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Audit checkpoint")
    AUTHORISATION_CHANGED = "authorisation.changed", _("Authorisation recorded or changed")
    RELIANCE_REVIEW_OPENED = "reliance.review_opened", _("Reliance review opened")
    RELIANCE_REVIEW_DECIDED = "reliance.review_decided", _("Reliance review decided")
    REQUEST_OPENED = "request.opened", _("Information request opened")
    REQUEST_ANSWERED = "request.answered", _("Information request answered")
    REQUEST_CLOSED = "request.closed", _("Information request closed")


# One bit per event type, in declaration order: a subscription stores the OR of the types it wants
# (0 = every type), so matching by type is a column test, not a join.
EVENT_TYPE_BITS: dict[str, int] = {value: 1 << index for index, value in enumerate(EventType.values)}

# Alert types and severities are the content's vocabularies: exchange receives them by registration
# (exchange.vocabularies), never by a copy here.


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("E-mail")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


# States in which a delivery still waits for an attempt.
OPEN_DELIVERY_STATES: tuple[str, ...] = (DeliveryState.PENDING, DeliveryState.RETRYING)


class SigningKeyStatus(models.TextChoices):
    """A member's signing key: `active` signs; `retired` stays published so that old signatures verify."""

    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class MailKind(models.TextChoices):
    """The e-mails written to one person (exchange.models.PersonalEmail)."""

    IMMEDIATE = "immediate", _("Immediate notification")
    DIGEST = "digest", _("Daily digest")
    MORE = "more", _("Summary of the e-mails held back this hour")
    REMINDER = "reminder", _("Reminder")


class NoticeMode(models.TextChoices):
    """How a user wants one kind of item (SPEC §10.4, Appendix B)."""

    IMMEDIATE = "immediate", _("Immediately")
    DAILY_DIGEST = "daily_digest", _("In the daily digest")
    OFF = "off", _("Never")


class PreferenceItem(models.TextChoices):
    """The kinds of item a user sets a preference for, most urgent first (the digest's order)."""

    ALERT_CRITICAL = "alert.critical", _("Critical safety alerts")
    ALERT_HIGH = "alert.high", _("High-severity safety alerts")
    RELIANCE_REVIEW = "reliance_review", _("Reliance reviews")
    REQUEST = "request", _("Information requests")
    PROBLEM = "problem", _("Acknowledgement and delivery problems")
    ALERT_MEDIUM = "alert.medium", _("Medium-severity safety alerts")
    ALERT_LOW = "alert.low", _("Low-severity safety alerts")
    SIGNAL = "signal", _("Signals")
    REPORT = "report", _("Performance reports")


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    ES = "es", "Español"
    JA = "ja", "日本語"
