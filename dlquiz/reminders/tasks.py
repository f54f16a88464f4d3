from __future__ import annotations

import datetime as dt
import smtplib

from celery import shared_task
from django.utils import timezone

from dlquiz.reminders.services import reminder_send, reminders_candidates


@shared_task(name="dlquiz.reminders.tasks.reminders_dispatch", acks_late=True)
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
    max_retries=5,
)
def reminder_send_task(user_id: int, local_date: str) -> bool:
    return reminder_send(user_id=user_id, local_date=dt.date.fromisoformat(local_date), now=timezone.now())
