"""End to end on the real services: a Celery worker in its own process (prefork, consuming only the
``demos`` queue, Redis broker, the PostgreSQL test database) computes demonstration runs requested through
the API; progress is seen while it computes; identical requests make one run; a pool process SIGKILLed
mid-run is replaced and the redelivered task finishes the run exactly once; a whole worker SIGKILLed mid-run
leaves its message unacknowledged, and a new worker gets it after the (short) visibility timeout and finishes
the run exactly once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlquiz.demos.models import DemoRun
from engine.demos import get_demo
from tests.dlquiz.reminders.test_worker import _wait
from tests.dlquiz.reminders.test_worker_killed import _children, _database_url
from tests.factories import client_for, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
# about 2-3 s of CPU on one thread: long enough to watch its progress and to kill it halfway
SLOW = {"train_size": 400, "epochs": 1000}
HALF = {"train_size": 400, "epochs": 500}  # about half as long


class Worker:
    """``celery worker -Q demos`` as a subprocess; its log is kept to count what it did."""

    def __init__(self, log_path: Path, **extra_env: str) -> None:
        from django.conf import settings

        self.log_path = log_path
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),  # the test database, where this test's rows are committed
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
            "ENGINE_DEVICE": "cpu",
            **extra_env,
        }
        cmd = [sys.executable, "-m", "celery", "-A", "dlquiz", "worker", "-Q", "demos", "--pool=prefork"]
        cmd += [
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ]
        with log_path.open("wb") as log:
            # a session of its own: the whole worker (main process and pool) can be killed at once
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self) -> bool:
        return "ready." in self.log()

    def kill(self) -> None:
        """SIGKILL the main process and its pool processes together, as when the machine dies."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def worker(tmp_path):
    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    app.set_current()  # the services' shared task sends through the current app (another test may have left its own)
    app.set_default()
    with app.connection_for_write() as conn:  # start from an empty queue
        conn.default_channel.queue_declare("demos", durable=True, auto_delete=False)
        conn.default_channel.queue_purge("demos")
    w = Worker(tmp_path / "worker.log")
    try:
        assert _wait(w.ready, timeout=60), w.log()
        yield w
    finally:
        w.stop()


def _start(client, demo, params, seed=0) -> dict:
    res = client.post(f"/api/v1/demos/{demo}/runs", {"params": params, "seed": seed}, format="json")
    assert res.status_code == 202, res.content
    return res.json()


def _watch(client, run_id: int, timeout: float = 90.0) -> tuple[dict, list[int]]:
    """Poll the run through the API until it ends; the progress values seen while it was running."""
    seen: list[int] = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = client.get(f"/api/v1/demo-runs/{run_id}").json()
        if run["status"] == "running" and (not seen or seen[-1] != run["progress"]):
            seen.append(run["progress"])
        if run["status"] in ("done", "failed", "cancelled"):
            return run, seen
        time.sleep(0.03)
    raise AssertionError(f"run {run_id} did not end in {timeout} s")


def test_a_worker_computes_a_run_with_progress_and_shares_identical_requests(worker):
    # set up for torch: one thread per process, OpenMP's idle threads sleeping, torch warmed up, the device
    assert (
        "demonstrations: device cpu, 1 torch thread(s) per process, OMP_WAIT_POLICY=PASSIVE" in worker.log()
    )
    a, b = client_for(make_user()), client_for(make_user())
    first = _start(a, "overfitting", SLOW, seed=3)
    assert _wait(lambda: DemoRun.objects.get(pk=first["id"]).status == "running", timeout=30), worker.log()
    second = _start(b, "overfitting", {**SLOW, "dropout": 0.5}, seed=3)  # the same run, asked while it runs
    assert second["id"] == first["id"] and second["status"] == "running"
    done, seen = _watch(a, first["id"])
    assert done["status"] == "done", done["error"] + worker.log()
    assert len(set(seen)) > 1 and all(0 <= p < 100 for p in seen) and seen == sorted(seen), seen
    assert done["progress"] == 100
    assert b.get(f"/api/v1/demo-runs/{first['id']}").json()["result"] == done["result"]
    # the worker's result is the engine's own for these parameters and seed (deterministic on the CPU)
    assert done["result"] == get_demo("overfitting").run(SLOW, seed=3).to_dict()
    run = DemoRun.objects.get(pk=first["id"])
    assert DemoRun.objects.count() == 1 and run.started_count == 1 and run.device == "cpu"
    assert run.first_progress_at is not None and run.compute_seconds > 0
    # asked again once finished: the same run, no new task
    third = _start(client_for(make_user()), "overfitting", SLOW, seed=3)
    assert third["id"] == first["id"] and third["status"] == "done"
    time.sleep(1)
    assert len(re.findall(rf"demo run {first['id']}: done", worker.log())) == 1


def test_a_run_cancelled_while_it_computes_stops_and_one_past_its_time_limit_fails(worker, settings):
    c = client_for(make_user())
    # cancelled while it computes: the computation stops at its next progress write
    run = _start(c, "overfitting", SLOW, seed=11)
    assert _wait(lambda: DemoRun.objects.get(pk=run["id"]).progress >= 5, timeout=30), worker.log()
    res = c.post(f"/api/v1/demo-runs/{run['id']}/cancel")
    assert res.status_code == 200 and res.json()["status"] == "cancelled"
    assert _wait(lambda: f"demo run {run['id']}: stopped" in worker.log(), timeout=30), worker.log()
    row = DemoRun.objects.get(pk=run["id"])
    assert row.status == "cancelled" and row.result is None and row.progress < 100
    # a demonstration's own time limits travel with its task: past the soft one the run ends failed
    settings.DEMO_TIME_LIMITS = {"overfitting": (1, 5)}
    slow = _start(c, "overfitting", SLOW, seed=12)
    ended, _ = _watch(c, slow["id"], timeout=60)
    assert ended["status"] == "failed" and "time limit of 1 s" in ended["error"], worker.log()
    assert ended["result"] is None and DemoRun.objects.get(pk=slow["id"]).started_count == 1


def test_a_pool_process_killed_mid_run_is_replaced_and_the_run_finishes_once(worker):
    c = client_for(make_user())
    run = _start(c, "overfitting", SLOW, seed=7)
    assert _wait(lambda: DemoRun.objects.get(pk=run["id"]).progress >= 20, timeout=60), worker.log()
    killed = []
    for pid in _children(worker.proc.pid):
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    assert killed, "no pool process to kill"
    done, _ = _watch(c, run["id"], timeout=120)
    assert done["status"] == "done", done["error"] + worker.log()
    row = DemoRun.objects.get(pk=run["id"])
    assert row.started_count == 2  # the killed computation and the redelivered one
    assert done["result"] == get_demo("overfitting").run(SLOW, seed=7).to_dict()
    time.sleep(1)
    log = worker.log()
    assert len(re.findall(rf"demo run {run['id']}: started", log)) == 2, log
    assert len(re.findall(rf"demo run {run['id']}: done", log)) == 1, log
    assert worker.proc.poll() is None  # the worker itself lives on


#: the broker's visibility timeout for the killed-worker test: a message taken by a worker that died comes back
#: to the queue this many seconds after it was taken (the default is minutes: longer than any task may run)
VISIBILITY = 5


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed orphan waits for its new parent to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_whole_worker_killed_mid_run_and_a_new_one_started_finishes_the_run_once(tmp_path):
    """Redis gives an unacknowledged message back when a worker restores the messages older than the visibility
    timeout (kombu does so when its consumer starts, then every ~100 s). The new worker starts once the message
    is that old, takes the run over as attempt 2 and computes it once; the dead worker's attempt wrote nothing
    more."""
    from dlquiz.celery import app

    assert app.conf.broker_url.startswith("redis://")
    app.set_current()
    app.set_default()
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare("demos", durable=True, auto_delete=False)
        conn.default_channel.queue_purge("demos")
    env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY)}
    first = Worker(tmp_path / "first.log", **env)
    second = None
    try:
        assert _wait(first.ready, timeout=60), first.log()
        c = client_for(make_user())
        run = _start(c, "overfitting", HALF, seed=5)
        assert _wait(lambda: DemoRun.objects.get(pk=run["id"]).progress >= 10, timeout=60), first.log()
        pool = _children(first.proc.pid)
        assert pool, "no pool process"
        first.kill()
        gone = _wait(lambda: not any(_alive(pid) for pid in pool), timeout=10)
        assert gone, "a pool process outlived the kill"
        killed = DemoRun.objects.get(pk=run["id"])
        assert (killed.status, killed.started_count) == ("running", 1) and 10 <= killed.progress < 100
        # while nobody computes it: the engine's own result for these parameters and seed (deterministic on CPU)
        expected = get_demo("overfitting").run(HALF, seed=5).to_dict()
        assert DemoRun.objects.get(pk=run["id"]).progress == killed.progress  # nothing else finishes it
        # the new worker starts once the message (taken just before the claim) is older than the timeout
        time.sleep(max(0.0, killed.started_at.timestamp() + VISIBILITY + 0.5 - time.time()))
        second = Worker(tmp_path / "second.log", **env)
        done, _ = _watch(c, run["id"], timeout=60)
        assert done["status"] == "done", done["error"] + second.log()
        assert done["result"] == expected
        row = DemoRun.objects.get(pk=run["id"])
        assert row.started_count == 2 and row.attempts == 2  # the killed computation and the redelivered one
        time.sleep(1)
        first_log, second_log = first.log(), second.log()
        rid = run["id"]
        assert re.findall(rf"demo run {rid}: (started \w+ \(attempt \d\)|done)", first_log) == [
            "started overfitting (attempt 1)"
        ], first_log
        assert re.findall(rf"demo run {rid}: (started \w+ \(attempt \d\)|done)", second_log) == [
            "started overfitting (attempt 2)",
            "done",
        ], second_log
        assert DemoRun.objects.get(pk=rid).finished_at == row.finished_at  # written once
    finally:
        first.stop()
        if second is not None:
            second.stop()
