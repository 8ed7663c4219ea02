"""The demo's network side: subscriptions, a webhook endpoint and a few answers (`seed_demo`).

Seeded before the alerts, so that publishing them matches the subscriptions: the worker then
records notifications, e-mails (to the console in the demo) and signed webhook deliveries to the
demo receiver, and a newcomer sees the whole loop in the portal. Safe to run twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from alerts.choices import ACK_STATE_RANK
from alerts.models import Acknowledgement, Alert, Tool
from alerts.services.acknowledgements import acknowledgement_set
from exchange.models import Member, Subscription, User, WebhookEndpoint
from exchange.services.endpoints import endpoint_create, endpoint_update
from exchange.services.subscriptions import subscription_create

RECEIVER_DESCRIPTION = "Demo receiver (this service, /demo/webhook-receiver/)"

# (member, name, settings; "tools" by name, "webhook" → the demo endpoint)
SUBSCRIPTIONS: list[tuple[str, str, dict[str, Any]]] = [
    ("MHRA", "Tools authorised in the UK (to our case system)", {
        "event_types": ["alert.published", "alert.amended", "alert.withdrawn", "report.published",
                        "signal.detected", "acknowledgement.updated", "acknowledgement.overdue"],
        "authorised_in_my_jurisdiction": True, "webhook": True,
        "email_recipients": ["safety-desk@mhra.example"],
    }),
    ("FDA", "Critical and high alerts", {
        "event_types": ["alert.published", "alert.amended", "alert.withdrawn"], "min_severity": "high",
        "email_recipients": ["ai-alerts@fda.example"],
    }),
    ("HC", "Imaging AI", {
        "tools": ["LungScan AI", "MammoRead Assist", "ColonoDetect"],
    }),
    ("TGA", "Alerts affecting Australia", {
        "event_types": ["alert.published", "alert.amended"], "jurisdictions": ["AU"],
    }),
]

# (answering member, publisher's reference of the alert, state, comment, decision, rationale)
ANSWERS: list[tuple[str, str, str, str, str | None, str]] = [
    ("FDA", "MHRA-DSI-2026-014", "action_taken", "Safety communication sent to the 212 US sites using it.",
     "adopt", "The same firmware is deployed in the US."),
    ("HC", "MHRA-DSI-2026-014", "assessing", "", None, ""),
    ("TGA", "MHRA-DSI-2026-014", "received", "", None, ""),
]


def demo_endpoint(member: Member, webhook_url: str) -> WebhookEndpoint:
    """MHRA's endpoint at the demo receiver (its URL follows the demo's port)."""
    endpoint = WebhookEndpoint.objects.filter(member=member, description=RECEIVER_DESCRIPTION).first()
    if endpoint is None:
        return endpoint_create(actor=None, member=member, url=webhook_url, description=RECEIVER_DESCRIPTION)
    if endpoint.url != webhook_url:
        endpoint = endpoint_update(actor=None, endpoint=endpoint, url=webhook_url)
    return endpoint


def seed_subscriptions(*, webhook_url: str, say: Callable[[str], None]) -> None:
    for code, name, spec in SUBSCRIPTIONS:
        member = Member.objects.get(code=code)
        with transaction.atomic():
            data = {key: value for key, value in spec.items() if key not in {"tools", "webhook"}}
            if spec.get("tools"):
                data["tools"] = [str(pk) for pk in Tool.objects.filter(name__in=spec["tools"]).values_list("pk", flat=True)]
            endpoint = demo_endpoint(member, webhook_url) if spec.get("webhook") and webhook_url else None
            if endpoint is not None:
                data["webhook_endpoints"] = [endpoint.pk]
            note = " (already there)"
            if not Subscription.objects.filter(member=member, name=name).exists():
                subscription_create(actor=None, member=member, name=name, **data)
                note = ""
        where = f" → webhook {endpoint.url}" if endpoint is not None else ""
        say(f"{code:<5} {name}{where}{note}")


def seed_answers(*, say: Callable[[str], None]) -> None:
    for code, ref, state, comment, decision, rationale in ANSWERS:
        alert = Alert.objects.filter(publisher_reference=ref).exclude(status="draft").first()
        if alert is None:
            continue
        actor = User.objects.select_related("member").get(email=f"assessor@{code.lower()}.example")
        current = Acknowledgement.objects.filter(alert=alert, member__code=code).values_list("state", flat=True).first()
        if current is None or ACK_STATE_RANK[current] < ACK_STATE_RANK[state]:
            acknowledgement_set(actor=actor, alert=alert, state=state, comment=comment, decision=decision,
                                rationale=rationale or None)
        say(f"{code:<5} {state.replace('_', ' ')} on {alert.reference}")


# Whose inbox shows an overdue request and one due within hours (the sign-ins the banner names).
DEADLINE_MEMBERS = ("FDA", "MHRA", "HC")


def seed_deadlines(*, say: Callable[[str], None]) -> None:
    """Demo data only: alerts seeded a moment ago would be due days from now, so nothing would be
    overdue and "overdue first" could not be seen. For each member above, the first unanswered request
    is dated as if asked earlier, so that its deadline has passed, and the next falls due in five
    hours. The beat's overdue sweep then reminds the member's admins and tells the publisher, as it
    would in service. Safe to repeat (a member that has an overdue request is left alone)."""
    now = timezone.now()
    for code in DEADLINE_MEMBERS:
        pending = list(
            Acknowledgement.objects.filter(member__code=code, requested=True, alert__status="published")
            .incomplete().exclude(deadline__isnull=True).select_related("alert").order_by("alert__published_at")
        )
        if not pending or any(ack.deadline and ack.deadline <= now for ack in pending):
            continue
        for ack, due in zip(pending, (now - timedelta(hours=6), now + timedelta(hours=5)), strict=False):
            assert ack.deadline is not None
            assert ack.requested_at is not None
            shift = ack.deadline - due
            Acknowledgement.objects.filter(pk=ack.pk).update(deadline=due, requested_at=ack.requested_at - shift)
            what = "overdue by 6 hours" if due < now else "due in 5 hours"
            assert ack.alert is not None
            say(f"{code:<5} {ack.alert.reference} {what}")
