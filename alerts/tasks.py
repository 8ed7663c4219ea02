"""Celery tasks of the content. They take ids, are idempotent and return quietly when work is gone."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from alerts.models import Alert, RelianceReview
from exchange.queueing import QueuedTask


@shared_task(name="alerts.acknowledgements_overdue_sweep", base=QueuedTask, ignore_result=True, time_limit=120, soft_time_limit=100)
def acknowledgements_overdue_sweep() -> int:
    """Overdue acknowledgements, and overdue reliance reviews (SPEC §10.1: reminded the same way)."""
    from alerts.services.acknowledgements import acknowledgements_overdue_sweep as sweep
    from alerts.services.inquiries import inquiries_overdue_sweep
    from alerts.services.reliance import reliance_reviews_overdue_sweep

    # Overdue answers to requests are reminded on the same beat.
    return sweep() + reliance_reviews_overdue_sweep() + inquiries_overdue_sweep()


@shared_task(
    name="alerts.acknowledgement_reminder_send",
    base=QueuedTask,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=6,
    time_limit=60,
    soft_time_limit=50,  # must not exceed time_limit: the global soft limit (240 s) would make .delay() raise
)
def acknowledgement_reminder_send(alert_id: str, member_code: str, email: str, inquiry_id: str | None = None) -> None:
    """The overdue reminder to one admin: of an acknowledgement, or (`inquiry_id`) of a request's answer."""
    if inquiry_id:
        from alerts.services.inquiries import inquiry_reminder_text

        text = inquiry_reminder_text(inquiry_id=inquiry_id, member_code=member_code)
        if text is None:
            return
        subject, body = text
    else:
        alert = Alert.objects.filter(pk=alert_id).select_related("publisher").first()
        if alert is None:
            return
        subject = f"[Overdue] {alert.reference}: acknowledgement by {member_code} is past its deadline"
        body = (
            f"The acknowledgement that {alert.publisher.code} requested from {member_code} for safety alert "
            f"{alert.reference} — {alert.title} (severity {alert.severity}) — is past its deadline.\n\n"
            "Open the Exchange inbox to record whether it was received, is being assessed, or what action was taken."
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])  # one message per recipient


@shared_task(name="alerts.signals_evaluate", base=QueuedTask, ignore_result=True, time_limit=300, soft_time_limit=240)
def signals_evaluate(tool_id: str) -> None:
    from alerts.services.signals import signals_evaluate as evaluate

    evaluate(tool_id=tool_id)


@shared_task(name="alerts.signals_evaluate_all", base=QueuedTask, ignore_result=True, time_limit=1800, soft_time_limit=1700)
def signals_evaluate_all() -> None:
    """Periodic catch-up: re-evaluates every tool with published reports (a lost message loses nothing)."""
    from alerts.services.signals import signals_sweep

    signals_sweep()


@shared_task(
    name="alerts.reliance_review_reminder_send",
    base=QueuedTask,
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=6,
    time_limit=60,
    soft_time_limit=50,
)
def reliance_review_reminder_send(review_id: str, email: str) -> None:
    review = (
        RelianceReview.objects.filter(pk=review_id)
        .select_related("authorization__tool", "relying_member", "reference_member").first()
    )
    if review is None or review.status != "open":
        return  # decided meanwhile: nothing to remind
    tool = review.authorization.tool
    subject = f"[Overdue] Reliance review of {tool.name} ({review.authorization.reference}) is past its deadline"
    body = (
        f"{review.relying_member.code}'s authorisation {review.authorization.reference} of {tool.name} "
        f"({tool.manufacturer}) relies on {review.reference_member.code}'s, which acted: its review was due "
        f"{review.deadline:%Y-%m-%d %H:%M} UTC.\n\n"
        "Open the Exchange's Reliance page to maintain, vary, suspend or revoke the authorisation, with your rationale."
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
