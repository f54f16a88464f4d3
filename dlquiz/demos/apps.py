from django.apps import AppConfig


class DemosConfig(AppConfig):
    name = "dlquiz.demos"
    default_auto_field = "django.db.models.BigAutoField"
