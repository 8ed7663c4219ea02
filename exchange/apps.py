from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Exchange network"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from exchange import checks  # noqa: F401 - registers the deploy checks
