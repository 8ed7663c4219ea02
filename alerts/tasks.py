"""Celery tasks of the content. They take ids, are idempotent and return quietly when work is gone."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from alerts.models import Alert
from exchange.links import absolute_url
from exchange.queueing import QueuedTask


@shared_task(name="alerts.acknowledgements_overdue_sweep", base=QueuedTask, ignore_result=True, time_limit=120, soft_time_limit=100)
def acknowledgements_overdue_sweep() -> int:
    from alerts.services.acknowledgements import acknowledgements_overdue_sweep as sweep

    return sweep()


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
def acknowledgement_reminder_send(alert_id: str, member_code: str, email: str) -> None:
    alert = Alert.objects.filter(pk=alert_id).select_related("publisher").first()
    if alert is None:
        return
    subject = f"[Overdue] {alert.reference}: acknowledgement by {member_code} is past its deadline"
    body = (
        f"The acknowledgement that {alert.publisher.code} requested from {member_code} for safety alert "
        f"{alert.reference} — {alert.title} (severity {alert.severity}) — is past its deadline.\n\n"
        "Open the Exchange inbox to record whether it was received, is being assessed, or what action was taken:\n"
        f"{absolute_url(f'/alerts/{alert.pk}/')}"
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
