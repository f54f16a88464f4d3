from django.apps import AppConfig


class DecksConfig(AppConfig):
    name = "dlquiz.decks"
    default_auto_field = "django.db.models.BigAutoField"
