from __future__ import annotations

import datetime as dt
import smtplib

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from dlquiz.reminders.services import reminder_send, reminders_candidates


# Both tasks are idempotent (the day's row is the guarantee), so a message whose worker died is redelivered
# (reject_on_worker_lost) instead of acknowledged; retries wait at most RETRY_BACKOFF_MAX seconds, which the
# broker's visibility timeout covers (settings.CELERY_BROKER_TRANSPORT_OPTIONS).
@shared_task(name="dlquiz.reminders.tasks.reminders_dispatch", acks_late=True, reject_on_worker_lost=True)
def reminders_dispatch() -> int:
    """Beat: enqueue one send task per learner whose reminder time has come today."""
    candidates = reminders_candidates(now=timezone.now())
    for user_id, local_date in candidates:
        reminder_send_task.delay(user_id, local_date.isoformat())
    return len(candidates)


@shared_task(
    name="dlquiz.reminders.tasks.reminder_send_task",
    acks_late=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=settings.CELERY_TASK_RETRY_BACKOFF_MAX,
    max_retries=5,
    reject_on_worker_lost=True,
)
def reminder_send_task(user_id: int, local_date: str) -> bool:
    return reminder_send(user_id=user_id, local_date=dt.date.fromisoformat(local_date), now=timezone.now())
