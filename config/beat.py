"""The periodic tasks that `celery -A config beat` runs (settings.CELERY_BEAT_SCHEDULE).

Every period is a setting read in config/settings.py; this module only says which task runs when.
"""

from __future__ import annotations


def beat_schedule(
    *,
    ack_overdue_sweep_seconds: int,
    signal_sweep_seconds: int,
    outbox_sweep_interval: float,
    audit_checkpoint_seconds: int,
    retention_sweep_seconds: int,
    digest_sweep_seconds: int = 300,
) -> dict[str, dict[str, object]]:
    return {
        "acknowledgements-overdue": {
            "task": "alerts.acknowledgements_overdue_sweep",
            "schedule": float(ack_overdue_sweep_seconds),
        },
        # Signals are evaluated after each publication; this catches up on any evaluation a lost
        # message skipped.
        "signals-evaluate-all": {
            "task": "alerts.signals_evaluate_all",
            "schedule": float(signal_sweep_seconds),
        },
        # Fan-out's outbox sweeper: undispatched events, due deliveries nobody holds, failing endpoints.
        "exchange-outbox-sweep": {
            "task": "exchange.outbox_sweep",
            "schedule": outbox_sweep_interval,
            "options": {"expires": outbox_sweep_interval},
        },
        # Signed audit checkpoints (SPEC §8): the audit head signed with the network's key, as an event.
        "exchange-audit-checkpoint": {
            "task": "exchange.audit_checkpoint",
            "schedule": float(audit_checkpoint_seconds),
            "options": {"expires": float(audit_checkpoint_seconds)},
        },
        # Retention (exchange/services/retention.py): old events and their deliveries, idempotency
        # records, expired sessions; in small batches.
        "exchange-retention-sweep": {
            "task": "exchange.retention_sweep",
            "schedule": float(retention_sweep_seconds),
            "options": {"expires": float(retention_sweep_seconds)},
        },
        # Daily digests that are due (each user's digest hour in its time zone) and the "and N more"
        # e-mails of hours that ended (exchange/services/digests.py; `manage.py send_digests` runs the same).
        "exchange-digests": {
            "task": "exchange.digests_send",
            "schedule": float(digest_sweep_seconds),
            "options": {"expires": float(digest_sweep_seconds)},
        },
    }
