"""Celery tasks of the content. They take ids, are idempotent and return quietly when work is gone."""

from __future__ import annotations

from celery import shared_task

from exchange.queueing import QueuedTask


@shared_task(name="alerts.acknowledgements_overdue_sweep", base=QueuedTask, ignore_result=True, time_limit=120, soft_time_limit=100)
def acknowledgements_overdue_sweep() -> int:
    """Overdue acknowledgements, reliance reviews (SPEC §10.1) and answers to requests (§10.3): one beat."""
    from alerts.services.acknowledgements import acknowledgements_overdue_sweep as sweep
    from alerts.services.inquiries import inquiries_overdue_sweep
    from alerts.services.reliance import reliance_reviews_overdue_sweep

    return sweep() + reliance_reviews_overdue_sweep() + inquiries_overdue_sweep()


@shared_task(name="alerts.signals_evaluate", base=QueuedTask, ignore_result=True, time_limit=300, soft_time_limit=240)
def signals_evaluate(tool_id: str) -> None:
    from alerts.services.signals import signals_evaluate as evaluate

    evaluate(tool_id=tool_id)


@shared_task(name="alerts.signals_evaluate_all", base=QueuedTask, ignore_result=True, time_limit=1800, soft_time_limit=1700)
def signals_evaluate_all(full: bool = False) -> None:
    """Periodic catch-up: re-evaluates every tool with new evidence since its last evaluation (a lost
    message loses nothing); `full`: every tool with published reports."""
    from alerts.services.signals import signals_sweep

    signals_sweep(full=full)
