"""The optimize queue end to end: a real Celery worker (its own process) on Redis and PostgreSQL runs an
optimisation; a worker killed mid-run leaves the old parameters in force and the recovered run completes."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from dlquiz.scheduler.models import OptimizeRun
from dlquiz.scheduler.services import optimize_recover, review_log_import
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from tests.dlquiz.reminders.test_worker import _wait
from tests.dlquiz.reminders.test_worker_killed import _database_url
from tests.dlquiz.scheduler.simlog import csv_text, simulate
from tests.factories import client_for, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
LATER = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def _start_worker(log_path: Path) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
    }
    cmd = [sys.executable, "-m", "celery", "-A", "dlquiz", "worker", "-Q", "optimize", "--pool=solo"]
    cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with log_path.open("wb") as log:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(worker: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    os.killpg(worker.pid, sig)
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


def _learner():
    user = make_user()
    review_log_import(user=user, name="sim.csv", data=csv_text(simulate(160, 7)).encode(), now=LATER)
    with __import__("dlquiz.celery", fromlist=["app"]).app.connection_for_write() as conn:
        conn.default_channel.queue_purge("optimize")
    return user


def test_the_optimize_button_runs_on_a_real_worker_and_adopts(tmp_path):
    user = _learner()
    log_path = tmp_path / "worker.log"
    worker = _start_worker(log_path)
    try:
        r = client_for(user).post("/api/v1/scheduler/optimize")
        assert r.status_code == 202, r.content
        run_id = r.json()["id"]
        stages = set()

        def done():
            run = OptimizeRun.objects.get(pk=run_id)
            stages.add(run.stage)
            return run.status in ("done", "failed")

        assert _wait(done, timeout=300), log_path.read_text()[-3000:]
    finally:
        _stop(worker)
    run = OptimizeRun.objects.get(pk=run_id)
    assert run.status == "done" and run.adopted, (run.reason, run.error)
    assert "fitting" in stages or "rescheduling" in stages  # progress was visible while it ran
    assert StudySettings.objects.get(user=user).fsrs_parameters == run.parameters_after
    latest = client_for(user).get("/api/v1/scheduler/runs/latest").json()
    assert (
        latest["id"] == run_id
        and latest["adopted"]
        and latest["metrics_after"]["log_loss"] < latest["metrics_before"]["log_loss"]
    )
    assert client_for(user).post("/api/v1/scheduler/optimize").status_code == 409  # once a day
    assert client_for(make_user()).get(f"/api/v1/scheduler/runs/{run_id}").status_code == 404


def test_a_worker_killed_mid_run_leaves_the_old_parameters_and_the_recovered_run_completes(tmp_path):
    user = _learner()
    before = {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)}
    worker = _start_worker(tmp_path / "first.log")
    try:
        run_id = client_for(user).post("/api/v1/scheduler/optimize").json()["id"]
        assert _wait(lambda: OptimizeRun.objects.get(pk=run_id).stage == "fitting", timeout=120)
    finally:
        _stop(worker, signal.SIGKILL)
    run = OptimizeRun.objects.get(pk=run_id)
    assert run.status == "running" and not run.adopted
    assert StudySettings.objects.get(user=user).fsrs_parameters is None
    assert {cs.card_id: scheduling.memory_of(cs) for cs in CardState.objects.filter(user=user)} == before
    # beat's recovery finds the run stale once its heartbeat is older than OPTIMIZE_STALE_SECONDS
    assert optimize_recover(now=timezone.now()) == []
    assert optimize_recover(now=timezone.now() + dt.timedelta(hours=1)) == [run_id]
    worker = _start_worker(tmp_path / "second.log")
    try:
        assert _wait(lambda: OptimizeRun.objects.get(pk=run_id).status in ("done", "failed"), timeout=300)
    finally:
        _stop(worker)
    run = OptimizeRun.objects.get(pk=run_id)
    assert run.status == "done" and run.adopted, (run.reason, run.error)
    assert StudySettings.objects.get(user=user).fsrs_parameters == run.parameters_after
    assert ReviewLog.objects.filter(user=user).count() == run.reviews_used
