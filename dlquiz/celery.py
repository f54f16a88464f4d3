"""The Celery app. Redis is the broker in production; the embedded default uses kombu's filesystem
transport (see docs/architecture.md). Periodic tasks are declared here, in code: run exactly one beat."""

import os
import sys

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")
if "worker" in sys.argv[1:]:
    # `celery -A dlquiz worker` computes demonstrations: idle OpenMP threads sleep instead of spinning. Set
    # here, before Django's set-up imports torch (OpenMP reads it when it loads; celeryd_init is too late).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
    from celery.schedules import crontab

    sender.add_periodic_task(  # the first of each month, 03:00 UTC (settings.OPTIMIZE_MIN_NEW_REVIEWS)
        crontab(minute=0, hour=3, day_of_month=1),
        sender.signature("dlquiz.scheduler.tasks.optimize_dispatch"),
        name="scheduler: monthly FSRS optimisation",
    )
    sender.add_periodic_task(
        float(settings.OPTIMIZE_STALE_SECONDS),
        sender.signature("dlquiz.scheduler.tasks.optimize_recover"),
        name="scheduler: queue again optimisation runs whose worker died",
    )
    sender.add_periodic_task(
        60.0,
        sender.signature("dlquiz.demos.tasks.demos_sweep"),
        name="demos: end runs whose worker died as failed",
    )


# -- demonstration workers (dlquiz/demos/worker.py) --------------------------------------------------------
@worker_init.connect
def _demo_worker_warm(**_: object) -> None:
    from dlquiz.demos.worker import warm

    warm()


@worker_process_init.connect
def _demo_worker_process(**_: object) -> None:
    from dlquiz.demos.worker import prepare_process

    prepare_process()
