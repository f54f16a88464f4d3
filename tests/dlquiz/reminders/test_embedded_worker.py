"""The embedded default (`make run` without Redis): a real worker on kombu's filesystem transport."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from dlquiz.reminders.models import ReminderSent
from dlquiz.study.models import CardState, State
from tests.dlquiz.reminders.test_worker import _wait
from tests.factories import enrolled_user


@pytest.mark.django_db(transaction=True)
def test_embedded_default_runs_tasks_on_the_filesystem_broker(tmp_path):
    """What `make run` starts without Redis: a worker on kombu's filesystem transport."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    queue, processed, control = tmp_path / "queue", tmp_path / "processed", tmp_path / "control"
    for folder in (queue, processed, control):
        folder.mkdir()
    app = Celery("dlquiz-embedded-test", broker="filesystem://", set_as_current=False)
    app.conf.update(
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            "control_folder": str(control),
        },
        task_ignore_result=True,
    )
    import dlquiz.reminders.tasks  # noqa: F401  (shared tasks register on every app)

    user, _, _ = enrolled_user(2, tz="Asia/Shanghai", reminder_time=dt.time(0, 0))
    CardState.objects.filter(user=user).update(
        state=State.REVIEW,
        stability=3.0,
        difficulty=5.0,
        reps=1,
        due=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        last_review=dt.datetime(2019, 12, 28, tzinfo=dt.UTC),
    )
    with app.connection_for_write() as conn:
        assert conn.transport.driver_type == "filesystem"
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
        app.send_task("dlquiz.reminders.tasks.reminders_dispatch")
        assert _wait(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == [user.email]
    assert ReminderSent.objects.filter(user=user).count() == 1
