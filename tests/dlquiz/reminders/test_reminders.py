"""Daily reminders: local time per learner, exactly one per local day, unsubscribe."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from dlquiz.reminders.models import ReminderSent
from dlquiz.reminders.services import (
    reminder_message_id,
    reminder_send,
    reminders_candidates,
    unsubscribe_token,
)
from dlquiz.reminders.tasks import reminder_send_task, reminders_dispatch
from dlquiz.study.models import CardState, State, StudySettings
from tests.factories import enrolled_user, make_user

pytestmark = pytest.mark.django_db


def _utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def _make_due(user, n):
    """n of the learner's cards become review cards due on 1 March 2026."""
    ids = list(CardState.objects.filter(user=user).values_list("id", flat=True)[:n])
    CardState.objects.filter(id__in=ids).update(
        state=State.REVIEW,
        stability=5.0,
        difficulty=5.0,
        due=_utc(2026, 3, 1),
        last_review=_utc(2026, 2, 24),
        reps=1,
    )


@pytest.fixture
def two_learners():
    sh, _, _ = enrolled_user(4, tz="Asia/Shanghai", reminder_time=dt.time(9, 0))
    la, _, _ = enrolled_user(2, tz="America/Los_Angeles", reminder_time=dt.time(9, 0))
    _make_due(sh, 3)
    _make_due(la, 2)
    return sh, la


def test_each_learner_is_reminded_at_their_own_local_time(two_learners):
    sh, la = two_learners
    # 15:59 UTC on 9 March = 23:59 Shanghai, 08:59 PDT Los Angeles (DST since 8 March)
    ReminderSent.objects.create(user=sh, local_date=dt.date(2026, 3, 9))
    assert reminders_candidates(now=_utc(2026, 3, 9, 15, 59)) == []
    # 16:00 UTC = 09:00 in Los Angeles on 9 March: the LA learner's turn
    assert reminders_candidates(now=_utc(2026, 3, 9, 16, 0)) == [(la.pk, dt.date(2026, 3, 9))]
    ReminderSent.objects.create(user=la, local_date=dt.date(2026, 3, 9))
    # 00:59 UTC on 10 March = 08:59 Shanghai: not yet
    assert reminders_candidates(now=_utc(2026, 3, 10, 0, 59)) == []
    # 01:00 UTC = 09:00 Shanghai on 10 March; still 9 March (done) in Los Angeles
    assert reminders_candidates(now=_utc(2026, 3, 10, 1, 0)) == [(sh.pk, dt.date(2026, 3, 10))]


def test_dispatch_twice_and_retried_tasks_send_one_mail_per_local_day(two_learners, monkeypatch):
    sh, la = two_learners
    ReminderSent.objects.create(user=la, local_date=dt.date(2026, 3, 9))  # LA's 9 March is done
    queued = []
    monkeypatch.setattr(reminder_send_task, "delay", lambda *args: queued.append(args))
    with time_machine.travel(_utc(2026, 3, 10, 1, 5), tick=False):
        assert reminders_dispatch() == 1
        assert reminders_dispatch() == 1  # a duplicate tick before the task ran enqueues it again
        assert queued == [(sh.pk, "2026-03-10")] * 2
        results = [reminder_send_task(*args) for args in queued + queued]  # both, and both retried
        assert results == [True, False, False, False]
        assert reminders_dispatch() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [sh.email]


def test_exactly_one_reminder_per_learner_per_local_day(two_learners):
    sh, la = two_learners
    now = _utc(2026, 3, 10, 1, 5)
    assert reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 10), now=now) is True
    # a duplicate beat tick, a retried task, a second beat process: all find the row
    assert reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 10), now=now) is False
    with time_machine.travel(now, tick=False):
        assert reminder_send_task(sh.pk, "2026-03-10") is False
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.filter(user=sh).count() == 1
    msg = mail.outbox[0]
    assert msg.to == [sh.email] and "3" in msg.subject
    assert "/study" in msg.body and "/unsubscribe/" in msg.body
    # the next local day: another one
    assert reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 11), now=_utc(2026, 3, 11, 1, 5)) is True
    assert len(mail.outbox) == 2


def test_no_mail_without_due_cards_or_with_reminders_off():
    user = make_user(tz="Asia/Shanghai")
    assert reminder_send(user_id=user.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 2)) is False
    off, _, _ = enrolled_user(2, email_reminders=False)
    assert reminder_send(user_id=off.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 2)) is False
    assert mail.outbox == []
    # the day is marked handled for the learner with nothing due; the one with reminders off is never a candidate
    assert reminders_candidates(now=_utc(2026, 3, 10, 2)) == []


def test_stale_task_for_another_day_sends_nothing(two_learners):
    sh, _ = two_learners
    assert reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 9), now=_utc(2026, 3, 10, 1, 5)) is False
    assert mail.outbox == []


def test_failed_send_leaves_the_message_pending_so_a_retry_sends_the_same_one(two_learners, monkeypatch):
    sh, _ = two_learners
    import dlquiz.reminders.services as svc

    def boom(*a, **k):
        raise OSError("smtp down")

    monkeypatch.setattr(svc, "_hand_over", boom)
    with pytest.raises(OSError):
        reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 1, 5))
    # the outbox row was committed before the hand-over and stays pending: not handed over, still a candidate
    pending = ReminderSent.objects.get(user=sh)
    assert pending.handed_over_at is None and pending.due_count == 3
    assert pending.message_id == reminder_message_id(user_id=sh.pk, local_date=dt.date(2026, 3, 10))
    assert (sh.pk, dt.date(2026, 3, 10)) in reminders_candidates(now=_utc(2026, 3, 10, 1, 6))
    monkeypatch.undo()
    _make_due(sh, 4)  # more cards came due meanwhile: the retry still sends the message first rendered
    assert reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 1, 6)) is True
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert (
        msg.extra_headers["Message-ID"] == pending.message_id
        and msg.message()["Message-ID"] == pending.message_id
    )
    assert (msg.subject, msg.body) == (pending.subject, pending.body) and "3" in msg.subject
    assert ReminderSent.objects.get(user=sh).handed_over_at is not None
    assert (sh.pk, dt.date(2026, 3, 10)) not in reminders_candidates(now=_utc(2026, 3, 10, 1, 7))


def test_the_message_id_is_stable_per_learner_and_day_and_differs_between_them(two_learners):
    sh, la = two_learners
    day = dt.date(2026, 3, 10)
    mid = reminder_message_id(user_id=sh.pk, local_date=day)
    assert mid == reminder_message_id(user_id=sh.pk, local_date=day)
    assert re.fullmatch(r"<reminder\.20260310\.[0-9a-f]{24}@[\w.-]+>", mid)
    assert mid != reminder_message_id(user_id=la.pk, local_date=day)
    assert mid != reminder_message_id(user_id=sh.pk, local_date=dt.date(2026, 3, 11))
    assert reminder_send(user_id=sh.pk, local_date=day, now=_utc(2026, 3, 10, 1, 5)) is True
    assert mail.outbox[0].message()["Message-ID"] == mid


def test_redis_redelivers_an_unacknowledged_task_only_after_it_could_have_finished():
    """A whole worker killed leaves its message unacknowledged until the visibility timeout: it must be longer
    than a task's longest retry countdown plus its hard time limit, and far below Redis's default 1 h."""
    import json
    import os
    import subprocess
    import sys

    from dlquiz.reminders.tasks import reminder_send_task

    assert reminder_send_task.reject_on_worker_lost and reminder_send_task.acks_late
    assert reminders_dispatch.reject_on_worker_lost and reminders_dispatch.acks_late
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); print(json.dumps(["
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_TASK_TIME_LIMIT,"
        " s.CELERY_TASK_RETRY_BACKOFF_MAX]))"
    )
    for limit in ("90", "600"):
        env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0", "CELERY_TASK_TIME_LIMIT": limit}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        timeout, hard_limit, backoff_max = json.loads(out.stdout.strip().splitlines()[-1])
        assert hard_limit == int(limit)
        assert backoff_max + hard_limit < timeout < 3600
        assert reminder_send_task.retry_backoff_max == backoff_max


def test_unsubscribe_link_turns_reminders_off(two_learners):
    sh, la = two_learners
    reminder_send(user_id=sh.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 1, 5))
    path = re.search(r"https?://[^/]+(/unsubscribe/\S+)", mail.outbox[0].body).group(1)
    c = Client()
    assert c.get(path).status_code == 200
    assert StudySettings.objects.get(user=sh).email_reminders is True  # GET only asks
    assert c.post(path).status_code == 200
    assert StudySettings.objects.get(user=sh).email_reminders is False
    assert StudySettings.objects.get(user=la).email_reminders is True
    assert c.post("/unsubscribe/" + unsubscribe_token(user_id=sh.pk) + "x").status_code == 400


def test_one_learner_with_a_bad_time_zone_does_not_stop_the_others_reminders(
    two_learners, caplog, monkeypatch
):
    sh, la = two_learners
    bad, _, _ = enrolled_user(2, reminder_time=dt.time(0, 0))
    _make_due(bad, 2)
    # stored before time zones were validated (a directory of the zone database makes ZoneInfo raise OSError)
    StudySettings.objects.filter(user=bad).update(timezone="America")
    ReminderSent.objects.create(user=la, local_date=dt.date(2026, 3, 9))  # LA's 9 March is done
    queued = []
    monkeypatch.setattr(reminder_send_task, "delay", lambda *args: queued.append(args))
    with time_machine.travel(_utc(2026, 3, 10, 1, 5), tick=False):
        assert reminders_dispatch() == 1
        assert queued == [(sh.pk, "2026-03-10")]
        assert (
            reminder_send(user_id=bad.pk, local_date=dt.date(2026, 3, 10), now=_utc(2026, 3, 10, 1, 5))
            is False
        )
        assert reminder_send_task(*queued[0]) is True
    assert [m.to for m in mail.outbox] == [[sh.email]]
    assert f"user {bad.pk} has an unknown time zone 'America'" in caplog.text
