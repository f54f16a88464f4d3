from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "dlquiz.study"
    default_auto_field = "django.db.models.BigAutoField"
