from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dlquiz.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dlquiz.accounts import signals

        signals.connect()
