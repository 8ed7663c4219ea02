"""Webhook endpoints: register, change, rotate the secret, test, disable (SPEC §5)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from exchange.choices import OPEN_DELIVERY_STATES, AudienceKind, Channel, DeliveryState, EventType
from exchange.errors import Conflict, ValidationFailed
from exchange.json_types import JSONObject, JSONValue
from exchange.models import Delivery, Event, Member, User, WebhookEndpoint
from exchange.netguard import UnsafeDestination, url_check
from exchange.selectors import admins_active, one_or_404
from exchange.services.audit import audit_record, audit_record_change
from exchange.services.chain import audited_write
from exchange.services.deliveries.schedule import first_attempt_at
from exchange.services.events import event_record
from exchange.services.owned import owned_delete, owned_locked
from exchange.signing import secret_fingerprint, secret_generate


def endpoint_public_state(endpoint: WebhookEndpoint) -> JSONObject:
    """The endpoint as others may see it: in the audit log and in events (never the secret)."""
    return {
        "id": str(endpoint.pk),
        "url": endpoint.url,
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "secret_fingerprint": secret_fingerprint(endpoint.secret),
    }


def _clean_url(url: JSONValue) -> str:
    url = str(url or "").strip()
    if not url:
        raise ValidationFailed("url: a webhook endpoint needs a URL.", errors={"url": ["required"]})
    try:
        return url_check(url)
    except UnsafeDestination as exc:
        raise ValidationFailed(f"url: {exc}", errors={"url": [str(exc)]}) from exc


def _clean_description(description: JSONValue) -> str:
    text = " ".join(str(description or "").split())
    if len(text) > 500:
        raise ValidationFailed("description: at most 500 characters.", errors={"description": ["too long"]})
    return text


def endpoint_get(*, member: Member, endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    """One of the member's own endpoints; another member's is not found (404)."""
    return one_or_404(WebhookEndpoint.objects.all(), detail="No such webhook endpoint.", member=member, pk=endpoint_id)


@audited_write
def endpoint_create(*, actor: User | None, member: Member, url: str, description: str = "") -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        member=member, url=_clean_url(url), description=_clean_description(description), secret=secret_generate()
    )
    audit_record(
        actor=actor, action="webhook_endpoint.created", object_type="webhook_endpoint", object_id=endpoint.pk,
        after=endpoint_public_state(endpoint), member_code=member.code,
    )
    return endpoint


@audited_write
def endpoint_update(
    *, actor: User | None, endpoint: WebhookEndpoint, **changes: JSONValue
) -> WebhookEndpoint:
    unknown = set(changes) - {"url", "description", "enabled"}
    if unknown:
        raise ValidationFailed(f"Cannot change {', '.join(sorted(unknown))} of a webhook endpoint.")
    endpoint = owned_locked(endpoint)
    before = endpoint_public_state(endpoint)
    fields: list[str] = []
    if "url" in changes and changes["url"] != endpoint.url:
        endpoint.url = _clean_url(changes["url"])
        fields.append("url")
    if "description" in changes:
        endpoint.description = _clean_description(changes["description"])
        fields.append("description")
    if "enabled" in changes and bool(changes["enabled"]) != endpoint.enabled:
        endpoint.enabled = bool(changes["enabled"])
        if endpoint.enabled:
            endpoint.disabled_reason = ""
            endpoint.disabled_at = None
            endpoint.failing_since = None
        else:
            endpoint.disabled_reason = "Disabled by the member."
            endpoint.disabled_at = timezone.now()
            _fail_open_deliveries(endpoint, "the endpoint was disabled")
        fields += ["enabled", "disabled_reason", "disabled_at", "failing_since"]
    if not fields:
        return endpoint
    endpoint.save(update_fields=[*fields, "updated_at"])
    audit_record_change(
        actor=actor, action="webhook_endpoint.updated", object_type="webhook_endpoint", object_id=endpoint.pk,
        before=before, after=endpoint_public_state(endpoint), member_code=endpoint.member.code,
    )
    return endpoint


@audited_write
def endpoint_delete(*, actor: User | None, endpoint: WebhookEndpoint) -> None:
    endpoint = owned_locked(endpoint)
    owned_delete(actor=actor, row=endpoint, object_type="webhook_endpoint", before=endpoint_public_state(endpoint))


@audited_write
def endpoint_rotate_secret(*, actor: User | None, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret signs from now on; the old one also signs for WEBHOOK_SECRET_OVERLAP_SECONDS."""
    endpoint = owned_locked(endpoint)
    before = endpoint_public_state(endpoint)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS)
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(
        actor=actor, action="webhook_endpoint.secret_rotated", object_type="webhook_endpoint",
        object_id=endpoint.pk, before=before,
        after={**endpoint_public_state(endpoint), "previous_secret_expires_at": endpoint.previous_secret_expires_at},
        member_code=endpoint.member.code,
    )
    return endpoint


@audited_write
def endpoint_test(*, actor: User | None, endpoint: WebhookEndpoint) -> Delivery:
    """Send a `ping` event to this one endpoint (and nowhere else)."""
    endpoint = WebhookEndpoint.objects.select_related("member").get(pk=endpoint.pk)
    if not endpoint.enabled:
        raise Conflict("The webhook endpoint is disabled; enable it before testing it.", errors={"endpoint": ["disabled"]})
    event = event_record(
        type=EventType.PING,
        audience_kind=AudienceKind.MEMBERS,
        audience_codes=[endpoint.member.code],
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        payload={"endpoint": str(endpoint.pk), "message": "Test message from the AI Safety Alert Exchange."},
    )
    now = timezone.now()
    delivery = Delivery.objects.create(
        event=event, member=endpoint.member, channel=Channel.WEBHOOK, endpoint=endpoint,
        next_attempt_at=first_attempt_at(now), created_at=now,
    )
    audit_record(
        actor=actor, action="webhook_endpoint.tested", object_type="webhook_endpoint", object_id=endpoint.pk,
        after={"event": str(event.pk), "delivery": str(delivery.pk)}, member_code=endpoint.member.code,
    )
    return delivery


def _fail_open_deliveries(endpoint: WebhookEndpoint, reason: str) -> int:
    return Delivery.objects.filter(endpoint=endpoint, state__in=OPEN_DELIVERY_STATES).update(
        state=DeliveryState.FAILED, next_attempt_at=None, lease_until=None, lease_token=None, last_error=reason
    )


def admin_email_deliveries(*, event: Event, member: Member) -> int:
    """E-mail the member's active admins about an event (besides what subscriptions ask for)."""
    now = timezone.now()
    addresses = admins_active(member_ids=[member.pk]).values_list("email", flat=True)
    rows = [
        Delivery(event=event, member=member, channel=Channel.EMAIL, email=address, next_attempt_at=first_attempt_at(now))
        for address in addresses
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@audited_write
def endpoint_disable(*, endpoint_id: uuid.UUID | str, reason: str, actor: User | None = None) -> WebhookEndpoint | None:
    """Disable an endpoint (410 Gone, failing too long), fail what it still owes, tell the member:
    an `endpoint.disabled` event, which also e-mails the member's admins. Idempotent."""
    endpoint = WebhookEndpoint.objects.select_for_update(of=("self",)).filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.enabled:
        return endpoint
    member = Member.objects.get(pk=endpoint.member_id)
    before = endpoint_public_state(endpoint)
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["enabled", "disabled_reason", "disabled_at", "updated_at"])
    _fail_open_deliveries(endpoint, "the endpoint was disabled")
    after = endpoint_public_state(endpoint)
    audit_record(
        actor=actor, action="webhook_endpoint.disabled", object_type="webhook_endpoint", object_id=endpoint.pk,
        before=before, after=after, member_code=member.code,
    )
    event = event_record(
        type=EventType.ENDPOINT_DISABLED,
        audience_kind=AudienceKind.MEMBERS,
        audience_codes=[member.code],
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        payload={**after, "title": f"Webhook endpoint {endpoint.url} disabled", "disabled_at": endpoint.disabled_at},
    )
    admin_email_deliveries(event=event, member=member)
    return endpoint


def endpoints_disable_failing(*, now: datetime | None = None) -> int:
    """Disable every enabled endpoint whose deliveries have all failed for WEBHOOK_DISABLE_AFTER_SECONDS."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    ids = list(
        WebhookEndpoint.objects.filter(enabled=True, failing_since__lte=cutoff).values_list("pk", flat=True)[:500]
    )
    days = settings.WEBHOOK_DISABLE_AFTER_SECONDS / 86400
    period = f"{days:g} days" if days >= 1 else f"{settings.WEBHOOK_DISABLE_AFTER_SECONDS} seconds"
    for pk in ids:
        endpoint_disable(endpoint_id=pk, reason=f"Every delivery failed for {period}.")
    return len(ids)
