"""A real Celery worker (its own process, Redis broker) SIGKILLed after the mail server accepted a reminder
and before the worker committed that it handed it over: the mail server sees one message for the learner's
day (the redelivered task sends it again with the same Message-ID, subject and body)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from dlquiz.reminders.models import ReminderSent
from dlquiz.study.models import CardState, State
from tests.dlquiz.reminders.test_worker import _wait
from tests.factories import enrolled_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: _SMTPServer

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self._reply("220 test-smtp ready")
        while line := self.rfile.readline():
            verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.server.accepted(bytes(data))  # stored: from now on the message is the server's
                if self.server.on_accept is not None:
                    hook, self.server.on_accept = self.server.on_accept, None
                    hook()  # the fault: the sender dies before it hears the 250
                    return
                self._reply("250 2.0.0 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            elif verb in ("EHLO", "HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._reply("250 ok")
            else:
                self._reply("502 not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[email.message.EmailMessage] = []
        self.on_accept: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def accepted(self, data: bytes) -> None:
        with self._lock:
            self.messages.append(email.message_from_bytes(data, policy=email.policy.default))


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(smtp_port: int, log_path: Path) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),  # the test database, where this test's rows are committed
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
    }
    cmd = [sys.executable, "-m", "celery", "-A", "dlquiz", "worker", "--pool=prefork", "--concurrency=1"]
    cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with log_path.open("wb") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_worker_killed_after_the_mail_server_accepted_sends_one_message_for_the_day(tmp_path):
    from dlquiz.celery import app
    from dlquiz.reminders.tasks import reminder_send_task, reminders_dispatch

    assert app.conf.broker_url.startswith("redis://")
    tz = "Asia/Shanghai"
    user, _, _ = enrolled_user(3, tz=tz, reminder_time=dt.time(0, 0))
    CardState.objects.filter(user=user).update(
        state=State.REVIEW,
        stability=3.0,
        difficulty=5.0,
        reps=1,
        due=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        last_review=dt.datetime(2019, 12, 28, tzinfo=dt.UTC),
    )
    today = dt.datetime.now(ZoneInfo(tz)).date()
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_purge(app.conf.task_default_queue)

    smtp = _SMTPServer()
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    log_path = tmp_path / "worker.log"
    worker = _start_worker(smtp.server_address[1], log_path)
    killed: list[int] = []

    def kill_the_pool_process() -> None:
        for pid in _children(worker.pid):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    smtp.on_accept = kill_the_pool_process
    try:
        reminder_send_task.delay(user.pk, today.isoformat())
        handed_over = _wait(
            lambda: ReminderSent.objects.filter(user=user, handed_over_at__isnull=False).exists(), timeout=90
        )
        assert handed_over, log_path.read_text()
        assert killed, "the fault was never injected"
        reminders_dispatch.delay()  # a later beat tick and a duplicate task find the day handed over
        reminder_send_task.delay(user.pk, today.isoformat())
        time.sleep(3)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
        smtp.shutdown()
        smtp.server_close()

    row = ReminderSent.objects.get(user=user, local_date=today)
    mine = [m for m in smtp.messages if m["To"] == user.email]
    # the first copy was accepted just before the kill; the redelivered task sent the same message again
    assert len(mine) == 2, log_path.read_text()
    assert {m["Message-ID"] for m in mine} == {row.message_id}
    assert {m["Subject"] for m in mine} == {row.subject} and "3" in row.subject
    assert {m.get_content().replace("\r\n", "\n") for m in mine} == {row.body}
    assert ReminderSent.objects.filter(user=user).count() == 1
