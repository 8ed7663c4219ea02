"""The network's tables: members, their people and tokens, the audit log, idempotency, events,
subscriptions, webhook endpoints, deliveries and notifications.

One module per cohesive group; every model is re-exported here, so `from exchange.models import X`
is the way to import one (and the path migrations use).
"""

from exchange.models.audit import AuditCheckpoint, AuditEntry, SigningKey
from exchange.models.deliveries import Delivery, DeliveryAttempt
from exchange.models.events import Event, EventAudience, FeedEntry, MemberFeed, Notification
from exchange.models.housekeeping import Heartbeat, IdempotencyRecord
from exchange.models.members import (
    ApiToken,
    Member,
    User,
    UserManager,
    country_validator,
    member_code_validator,
)
from exchange.models.notices import EmailQuota, NotificationPreferences, PersonalEmail
from exchange.models.subscriptions import (
    Dimension,
    Subscription,
    SubscriptionEndpoint,
    SubscriptionTerm,
    WebhookEndpoint,
)

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "Delivery",
    "DeliveryAttempt",
    "Dimension",
    "EmailQuota",
    "Event",
    "EventAudience",
    "FeedEntry",
    "Heartbeat",
    "IdempotencyRecord",
    "Member",
    "MemberFeed",
    "Notification",
    "NotificationPreferences",
    "PersonalEmail",
    "SigningKey",
    "Subscription",
    "SubscriptionEndpoint",
    "SubscriptionTerm",
    "User",
    "UserManager",
    "WebhookEndpoint",
    "country_validator",
    "member_code_validator",
]
