from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Alerts and registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The network routes on these vocabularies without importing this app: hand them over once.
        from alerts.choices import SEVERITY_RANK, AlertType
        from exchange import vocabularies

        vocabularies.ALERT_TYPES.register(AlertType.values)
        vocabularies.SEVERITIES.register(sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__))
        # How alerts, reports, signals and acknowledgements read in e-mails (exchange.notices).
        from alerts.notices import register

        register()
        # The words for stored values, wherever the network shows them (e-mails).
        from alerts.choices import AckState, AlertStatus, Metric, RelianceDecision, Severity

        for field, choices in (("severity", Severity.choices), ("alert_type", AlertType.choices),
                               ("status", AlertStatus.choices), ("state", AckState.choices),
                               ("decision", RelianceDecision.choices), ("metric", Metric.choices)):
            vocabularies.LABELS.register(field, choices)
        # Where a person reads an event's object: e-mails and webhook bodies link there (SITE_URL).
        from exchange.links import link_register

        link_register("alert", lambda object_id, payload: f"/alerts/{object_id}/")
        link_register("report", lambda object_id, payload: f"/reports/{object_id}/")
        link_register("signal", lambda object_id, payload: "/signals/")
        link_register("acknowledgement", _acknowledgement_page)


def _acknowledgement_page(object_id: str, payload: object) -> str | None:
    """An acknowledgement is read on its alert's (or report's) page."""
    if not isinstance(payload, dict):
        return None
    if payload.get("alert"):
        return f"/alerts/{payload['alert']}/"
    if payload.get("report"):
        return f"/reports/{payload['report']}/"
    return None
