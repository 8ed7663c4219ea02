"""The audit log and what proves it: the signing keys and the signed checkpoints of its head."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from exchange.choices import SigningKeyStatus
from exchange.models.members import Member


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
