"""The Celery app. Redis is the broker in production; the embedded default uses kombu's filesystem
transport (see docs/architecture.md). Periodic tasks are declared here, in code: run exactly one beat."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")

app = Celery("dlquiz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.REMINDER_SCAN_SECONDS),
        sender.signature("dlquiz.reminders.tasks.reminders_dispatch"),
        name="reminders: dispatch due reminders",
    )
