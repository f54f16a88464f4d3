"""The embedded default (`make run` without Redis): the worker `make run` starts consumes the ``demos`` queue
on kombu's filesystem transport and computes a run queued the way the services queue it (routed by
``CELERY_TASK_ROUTES``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from dlquiz.demos.models import DemoRun
from dlquiz.demos.services import demo_run_request, time_limits
from tests.dlquiz.reminders.test_worker import _wait
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[3]


def make_run_queues() -> list[str]:
    """The queues the workers `make run` starts consume (their -Q lists together)."""
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lists = re.findall(r"celery -A dlquiz worker .*?-Q ([\w,]+)", recipe)
    assert lists, recipe
    return [q for found in lists for q in found.split(",")]


@pytest.mark.django_db(transaction=True)
def test_make_runs_worker_computes_demonstrations_on_the_filesystem_broker(tmp_path, monkeypatch):
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    queues = make_run_queues()
    assert "demos" in queues and "celery" in queues and "optimize" in queues
    queue, processed, control = tmp_path / "queue", tmp_path / "processed", tmp_path / "control"
    for folder in (queue, processed, control):
        folder.mkdir()
    app = Celery("dlquiz-embedded-demos-test", broker="filesystem://", set_as_current=False)
    app.conf.update(
        broker_transport_options={
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(processed),
            "control_folder": str(control),
        },
        task_ignore_result=True,
        task_routes=settings.CELERY_TASK_ROUTES,
    )
    import dlquiz.demos.tasks as tasks

    sent: list[str] = []

    def enqueue(*, run_id: int, token: int, demo_id: str) -> None:  # as demo_run_enqueue, on the test's app
        soft, hard = time_limits(demo_id)
        r = app.send_task(tasks.demo_run_task.name, (run_id, token), soft_time_limit=soft, time_limit=hard)
        sent.append(r.id)

    monkeypatch.setattr(tasks, "demo_run_enqueue", enqueue)
    req = demo_run_request(user=make_user(), demo_id="receptive_field", params={}, seed=2)
    assert len(sent) == 1
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30, queues=queues):
            assert _wait(lambda: DemoRun.objects.get(pk=req.run_id).status == "done", timeout=60)
    finally:  # start_worker made the test's app the current one: shared tasks would send through it
        from dlquiz.celery import app as project_app

        project_app.set_current()
        project_app.set_default()
    run = DemoRun.objects.get(pk=req.run_id)
    figures = {f["key"]: f["value"] for f in run.result["figures"]}
    assert figures["analytic_rf"] == 11 and run.started_count == 1  # 5 layers of 3x3: 1 + 5 * 2
