"""End to end: beat's dispatch task → Redis → a real Celery worker → one e-mail."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail

from dlquiz.reminders.models import ReminderSent
from dlquiz.reminders.tasks import reminders_dispatch
from dlquiz.study.models import CardState, State
from tests.factories import enrolled_user

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait(pred, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_reminder_is_delivered_once_through_redis_by_a_real_worker():
    from celery.contrib.testing.worker import start_worker

    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    user, _, _ = enrolled_user(3, tz="Asia/Shanghai", reminder_time=dt.time(0, 0))
    CardState.objects.filter(user=user).update(
        state=State.REVIEW,
        stability=3.0,
        difficulty=5.0,
        reps=1,
        due=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        last_review=dt.datetime(2019, 12, 28, tzinfo=dt.UTC),
    )
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        reminders_dispatch.delay()
        reminders_dispatch.delay()  # a duplicate beat tick
        assert _wait(lambda: len(mail.outbox) >= 1 and ReminderSent.objects.filter(user=user).exists())
        time.sleep(2)  # let the duplicate run through
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email] and "3" in mail.outbox[0].subject
    assert ReminderSent.objects.filter(user=user).count() == 1
