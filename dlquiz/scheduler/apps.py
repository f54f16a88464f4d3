from django.apps import AppConfig


class SchedulerConfig(AppConfig):
    name = "dlquiz.scheduler"
    label = "scheduler"
    verbose_name = "FSRS optimisation"
