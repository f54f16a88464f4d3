from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "dlquiz.interop"
    verbose_name = "Anki interop"
