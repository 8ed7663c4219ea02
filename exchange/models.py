"""The network's tables: members, their people and tokens, the audit log, idempotency, events,
subscriptions, webhook endpoints, deliveries and notifications."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from exchange.choices import (
    AudienceKind,
    Channel,
    DeliveryState,
    MemberStatus,
    Role,
    SigningKeyStatus,
    scopes_for_role,
)

member_code_validator = RegexValidator(
    r"^[A-Z][A-Z0-9_-]{1,15}$", "Member codes are 2–16 upper-case letters, digits, '-' or '_', e.g. MHRA."
)
country_validator = RegexValidator(
    r"^[A-Z]{2}$", "Country is an ISO 3166-1 alpha-2 code in upper case (or EU), e.g. GB."
)


class Member(models.Model):
    """A regulator organisation in the network."""

    code = models.CharField(max_length=16, unique=True, validators=[member_code_validator])
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, validators=[country_validator])
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            models.CheckConstraint(condition=models.Q(code=Upper("code")), name="member_code_upper"),
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values), name="member_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: member staff (with a member and a role) or network staff (is_staff)."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Network staff: may use the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ("email",)
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def role_scopes(self) -> frozenset[str]:
        if self.member_id is None:
            return frozenset()
        return scopes_for_role(self.role)


class ApiToken(models.Model):
    """A bearer token of one member user. Only a SHA-256 hash of the secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=16, help_text="First characters of the token, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "id")

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.name})"

    def is_expired(self, now: Any = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class AuditEntry(models.Model):
    """One state change. Append-only; each entry's hash covers its content and the previous hash.

    `id` is allocated gap-free under the chain lock, so a deleted entry also shows as a gap.
    """

    id = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    member_code = models.CharField(max_length=16, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("id",)
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.object_type}:{self.object_id}"


class SigningKey(models.Model):
    """An Ed25519 key with which a member (or, with no member, the network itself) signs (SPEC §8).

    The private key is stored only encrypted (AES-GCM under SIGNING_KEYS_SECRET, bound to the kid);
    see exchange/services/provenance.py. Retired keys stay, so that old signatures still verify.
    """

    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="signing_keys",
        help_text="Empty for the network's own key (audit checkpoints).",
    )
    kid = models.CharField(max_length=64, unique=True)
    public_key = models.CharField(max_length=64, help_text="The raw public key, base64url: the JWK's `x`.")
    private_key_encrypted = models.TextField(editable=False)
    status = models.CharField(max_length=16, choices=SigningKeyStatus.choices, default=SigningKeyStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=models.Q(status=SigningKeyStatus.ACTIVE),
                name="signing_key_one_active_per_member",
            ),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(member__isnull=True, status=SigningKeyStatus.ACTIVE),
                name="signing_key_one_active_network",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SigningKeyStatus.values), name="signing_key_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.kid


class AuditCheckpoint(models.Model):
    """The audit log's head signed with the network's key (SPEC §8). Kept for ever, unlike events."""

    entry_id = models.BigIntegerField(unique=True)
    entry_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    jws = models.TextField()

    class Meta:
        ordering = ("-entry_id",)

    def __str__(self) -> str:
        return f"checkpoint at audit entry {self.entry_id}"


class IdempotencyRecord(models.Model):
    """The first response to a creating POST sent with an Idempotency-Key, replayed for repeats."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "key"], name="idempotency_member_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]


class Event(models.Model):
    """Outbox row: one change others may care about, recorded in the transaction that made it.

    `sequence` is allocated under the chain lock, so sequences become visible in order: a reader
    that resumes after the last sequence it saw never misses one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    sequence = models.BigIntegerField(unique=True)
    type = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    audience_kind = models.CharField(max_length=16, choices=AudienceKind.choices)
    audience = models.ManyToManyField(Member, through="EventAudience", related_name="+")
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    publisher_code = models.CharField(max_length=16, blank=True)
    facets = models.JSONField(default=dict, help_text="Routing facets: what subscriptions filter on.")
    payload = models.JSONField(default=dict, help_text="The object as the REST API shows it, rendered once.")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(
        max_length=128, blank=True, help_text="The request (or task) that recorded it: its deliveries log this id."
    )

    class Meta:
        ordering = ("sequence",)
        indexes = [
            models.Index(fields=["audience_kind", "sequence"], name="event_kind_seq_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
            models.Index(
                fields=["created_at"],
                name="event_undispatched_idx",
                condition=models.Q(dispatched_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.type}"


class EventAudience(models.Model):
    """A member an event was addressed to, when the audience is a list of members."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audience_rows")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="event_rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "event"], name="event_audience_unique")]


class Dimension(models.IntegerChoices):
    """A list filter of a subscription that is matched through `SubscriptionTerm` rows."""

    ALERT_TYPE = 1, "alert type"
    TOOL = 2, "tool"
    MANUFACTURER = 3, "manufacturer"
    CLINICAL_AREA = 4, "clinical area"
    JURISDICTION = 5, "affected jurisdiction"
    PUBLISHER = 6, "publishing member"


class Subscription(models.Model):
    """What one member wants to hear about, and through which channels (SPEC §2, Appendix A).

    The list filters are kept twice: as JSON lists, to read back as they were given, and as
    `SubscriptionTerm` rows plus `term_mask` (one bit per filtered dimension), so that the
    database finds the recipients of an event in one indexed query.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="subscriptions")
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True, help_text="A paused subscription matches nothing.")
    event_types = models.JSONField(default=list, blank=True)
    event_type_mask = models.BigIntegerField(default=0, help_text="OR of the wanted types' bits; 0 = every type.")
    alert_types = models.JSONField(default=list, blank=True)
    min_severity = models.CharField(max_length=16, null=True, blank=True)
    min_severity_rank = models.PositiveSmallIntegerField(default=0)
    tools = models.JSONField(default=list, blank=True)
    manufacturers = models.JSONField(default=list, blank=True)
    clinical_areas = models.JSONField(default=list, blank=True)
    jurisdictions = models.JSONField(default=list, blank=True)
    publishers = models.JSONField(default=list, blank=True)
    authorised_in_my_jurisdiction = models.BooleanField(default=False)
    term_mask = models.IntegerField(default=0, help_text="One bit per dimension that has a filter.")
    email_recipients = models.JSONField(default=list, blank=True)
    webhook_endpoints: models.ManyToManyField[WebhookEndpoint, SubscriptionEndpoint] = models.ManyToManyField(
        "WebhookEndpoint", through="SubscriptionEndpoint", related_name="subscriptions", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="subscription_member_idx"),
            # Matching, for subscriptions without a list filter that applies: a covering index scan.
            models.Index(
                fields=["term_mask", "min_severity_rank"],
                include=["event_type_mask", "member", "authorised_in_my_jurisdiction", "id"],
                name="subscription_match_idx",
                condition=models.Q(active=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_severity_rank__gte=0, min_severity_rank__lte=4),
                name="subscription_min_severity_rank_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.name}"


class SubscriptionTerm(models.Model):
    """One value of one list filter of a subscription: what the matching query looks up.

    `key` is "<dimension>:<value>", so that all the values an event carries are looked up with one
    `key IN (...)` index scan. The subscription's scalar conditions are copied onto its terms
    (rewritten with them by the subscriptions service), so matching reads the covering index only.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="terms")
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    key = models.CharField(max_length=210)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    active = models.BooleanField()
    event_type_mask = models.BigIntegerField()
    min_severity_rank = models.PositiveSmallIntegerField()
    term_mask = models.IntegerField()
    authorised_in_my_jurisdiction = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "key"], name="subscription_term_unique"),
        ]
        indexes = [
            models.Index(
                fields=["key"],
                include=[
                    "subscription", "member", "dimension", "event_type_mask", "min_severity_rank",
                    "term_mask", "authorised_in_my_jurisdiction",
                ],
                name="subscription_term_match_idx",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(models.Model):
    """A member's receiver of signed webhooks (SPEC §5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="First failed attempt since the last success (auto-disable clock)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "id")
        indexes = [
            models.Index(fields=["member", "-created_at"], name="endpoint_member_idx"),
            models.Index(
                fields=["failing_since"], name="endpoint_failing_idx",
                condition=models.Q(enabled=True, failing_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.url


class SubscriptionEndpoint(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="endpoint_links")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="subscription_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "endpoint"], name="subscription_endpoint_unique"),
        ]


class Delivery(models.Model):
    """One message of one event to one webhook endpoint or one e-mail address (SPEC §2, §5).

    Created in bulk by fan-out with unique keys, so a re-run adds nothing. Attempts are scheduled
    from `next_attempt_at`; a worker holds a delivery by its lease, which expires if it dies.
    The delivery id is the message's `webhook-id`, stable across retries and redeliveries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    email = models.EmailField(max_length=254, blank=True)
    state = models.CharField(max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    schedule_position = models.PositiveIntegerField(
        default=0, help_text="Attempts made since the delivery was (re)scheduled: the retry-schedule index."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("-created_at", "id")
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], condition=models.Q(channel=Channel.WEBHOOK),
                name="delivery_webhook_unique",
            ),
            models.UniqueConstraint(
                fields=["event", "member", "email"], condition=models.Q(channel=Channel.EMAIL),
                name="delivery_email_unique",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(channel=Channel.WEBHOOK, endpoint__isnull=False)
                    | (models.Q(channel=Channel.EMAIL, endpoint__isnull=True) & ~models.Q(email=""))
                ),
                name="delivery_channel_target",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=DeliveryState.values), name="delivery_state_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="delivery_due_idx",
                condition=models.Q(state__in=[DeliveryState.PENDING, DeliveryState.RETRYING]),
            ),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx"),
            models.Index(fields=["member", "-created_at"], name="delivery_member_idx"),
            models.Index(fields=["endpoint", "state", "created_at"], name="delivery_endpoint_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.id} ({self.state})"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.id.hex}"


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, the answer's status, how long it took, a short error."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    response_body = models.TextField(blank=True, help_text="The first bytes of the answer, capped.")

    class Meta:
        ordering = ("at", "id")
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S} -> {self.status_code or self.error}"


class Notification(models.Model):
    """An event a member's subscriptions matched: the portal's and API's notifications list."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    sequence = models.BigIntegerField(help_text="The event's sequence: notifications are listed by it.")
    subscriptions = models.JSONField(default=list, help_text="Ids of the subscriptions that matched.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sequence",)
        constraints = [
            models.UniqueConstraint(fields=["member", "event"], name="notification_member_event_unique"),
        ]
        indexes = [models.Index(fields=["member", "-sequence"], name="notification_member_seq_idx")]

    def __str__(self) -> str:
        return f"{self.member_id} #{self.sequence}"


class Heartbeat(models.Model):
    """When a periodic task last ran: /health/ready's `beat` check reads it (one row per task)."""

    name = models.CharField(max_length=64, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
