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
