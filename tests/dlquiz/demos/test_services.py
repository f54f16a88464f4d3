"""Demonstration runs on the database alone: sharing, the cap, bad parameters, cancel, predictions, and the
task's body (called directly, as a worker would) with progress, failure, time limits and redelivery."""

from __future__ import annotations

import pytest
from billiard.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.utils.threads import LocalStack  # noqa: F401  (celery importable)

from dlquiz.demos import services
from dlquiz.demos.models import DemoRequest, DemoRun
from dlquiz.demos.services import (
    MAX_ATTEMPTS,
    demo_prediction_set,
    demo_run_cancel,
    demo_run_claim,
    demo_run_compute,
    demo_run_finish,
    demo_run_progress,
    demo_run_request,
)
from dlquiz.demos.tasks import demo_run_lost
from dlquiz.errors import Conflict, NotFound, ServiceError
from engine.demos import get_demo
from tests.factories import make_user

pytestmark = pytest.mark.django_db

FAST = {"boxes": 8, "objects": 2}  # nms_steps: a few milliseconds
RESULT = {"device": "cpu", "prediction": {"answer": 0}}  # what demo_run_finish reads of a result


@pytest.fixture
def queued(monkeypatch):
    """The tasks queued on commit: (run id, task number, demo)."""
    calls: list[tuple[int, int, str]] = []
    monkeypatch.setattr(
        "dlquiz.demos.tasks.demo_run_enqueue",
        lambda **kw: calls.append((kw["run_id"], kw["token"], kw["demo_id"])),
    )
    return calls


def ask(user, demo="nms_steps", params=None, seed=0, *, capture):
    with capture(execute=True):
        return demo_run_request(user=user, demo_id=demo, params=FAST if params is None else params, seed=seed)


def test_identical_requests_share_one_run_and_one_task(queued, django_capture_on_commit_callbacks):
    a, b = make_user(), make_user()
    ra = ask(a, capture=django_capture_on_commit_callbacks)
    # the same parameters spelled differently (defaults given explicitly, a float for an int's value)
    rb = ask(b, params={**FAST, "iou_threshold": 0.5}, capture=django_capture_on_commit_callbacks)
    assert ra.run_id == rb.run_id and DemoRun.objects.count() == 1
    assert queued == [(ra.run_id, 1, "nms_steps")]
    assert ask(a, seed=1, capture=django_capture_on_commit_callbacks).run_id != ra.run_id
    assert len(queued) == 2 and DemoRequest.objects.filter(user=a).count() == 2
    run = DemoRun.objects.get(pk=ra.run_id)
    assert run.params == get_demo("nms_steps").canonical(FAST) and run.params["iou_threshold"] == 0.5


@pytest.mark.parametrize(
    ("params", "seed", "named"),
    [
        ({"boxes": 3}, 0, "boxes"),
        ({"boxes": 31}, 0, "boxes"),
        ({"iou_threshold": "high"}, 0, "iou_threshold"),
        ({"anchors": 4}, 0, "anchors"),
        ({}, -1, "seed"),
        ({}, 2**31, "seed"),
    ],
)
def test_bad_parameters_start_nothing(queued, django_capture_on_commit_callbacks, params, seed, named):
    user = make_user()
    with pytest.raises(ServiceError) as e:
        ask(user, params=params, seed=seed, capture=django_capture_on_commit_callbacks)
    assert e.value.code == "invalid_params" and e.value.status_code == 400
    assert named in e.value.message
    assert not DemoRun.objects.exists() and not DemoRequest.objects.exists() and queued == []


def test_unknown_demonstration_is_not_found(queued, django_capture_on_commit_callbacks):
    with pytest.raises(NotFound):
        ask(make_user(), demo="no_such_demo", capture=django_capture_on_commit_callbacks)


def test_a_learner_may_have_only_a_few_runs_queued(queued, django_capture_on_commit_callbacks, settings):
    settings.DEMO_MAX_QUEUED = 2
    user, other = make_user(), make_user()
    first = ask(user, seed=1, capture=django_capture_on_commit_callbacks)
    ask(user, seed=2, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError) as e:
        ask(user, seed=3, capture=django_capture_on_commit_callbacks)
    assert e.value.code == "too_many_runs" and e.value.status_code == 429
    assert not DemoRun.objects.filter(seed=3).exists() and len(queued) == 2
    ask(
        user, seed=1, capture=django_capture_on_commit_callbacks
    )  # asking again for a queued one: no new work
    ask(other, seed=3, capture=django_capture_on_commit_callbacks)  # another learner's cap is theirs
    done = DemoRun.objects.get(seed=3)
    demo_run_compute(run_id=done.pk, token=done.enqueued)
    ask(user, seed=3, capture=django_capture_on_commit_callbacks)  # a finished shared run costs nothing
    demo_run_cancel(user=user, run_id=first.run_id)  # cancelling frees a place
    ask(user, seed=4, capture=django_capture_on_commit_callbacks)
    assert len(queued) == 4


def test_the_task_computes_the_run_with_progress(queued, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0.0)
    seen: list[int] = []
    real = services.demo_run_progress

    def spy(**kw):
        seen.append(kw["progress"])
        return real(**kw)

    monkeypatch.setattr(services, "demo_run_progress", spy)
    req = ask(make_user(), "receptive_field", {}, seed=5, capture=django_capture_on_commit_callbacks)
    assert demo_run_compute(run_id=req.run_id, token=1) == "done"
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "done" and run.progress == 100 and run.started_count == 1 and run.error == ""
    # the engine's own run with the same parameters and seed (deterministic on the CPU)
    assert run.result == get_demo("receptive_field").run({}, seed=5).to_dict()
    figures = {f["key"]: f["value"] for f in run.result["figures"]}
    assert figures["analytic_rf"] == 1 + 5 * (3 - 1)  # five 3x3 convolutions, stride 1: r = 1 + L(k - 1)
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] < 100
    assert run.first_progress_at is not None and run.started_at <= run.first_progress_at <= run.finished_at
    assert run.compute_seconds > 0 and run.device == "cpu"


def test_a_redelivered_or_stale_task_does_nothing(queued, django_capture_on_commit_callbacks):
    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    assert demo_run_compute(run_id=req.run_id, token=0) == "skipped"  # not the run's task number
    assert DemoRun.objects.get(pk=req.run_id).started_count == 0
    assert demo_run_compute(run_id=req.run_id, token=1) == "done"
    finished = DemoRun.objects.get(pk=req.run_id)
    assert demo_run_compute(run_id=req.run_id, token=1) == "skipped"  # the message delivered again
    again = DemoRun.objects.get(pk=req.run_id)
    assert again.started_count == 1 and again.finished_at == finished.finished_at
    assert demo_run_compute(run_id=10**9, token=1) == "skipped"


def test_a_newer_attempt_takes_the_run_over(queued, django_capture_on_commit_callbacks):
    """A worker died mid-run: the redelivered task starts attempt 2; attempt 1's late writes count for nothing."""
    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    assert demo_run_claim(run_id=req.run_id, token=1) == 1
    assert demo_run_progress(run_id=req.run_id, attempt=1, progress=40)
    assert demo_run_claim(run_id=req.run_id, token=1) == 2
    assert not demo_run_progress(run_id=req.run_id, attempt=1, progress=60)
    assert not demo_run_finish(run_id=req.run_id, attempt=1, result=RESULT, seconds=1.0)
    assert DemoRun.objects.get(pk=req.run_id).status == "running"
    assert demo_run_finish(run_id=req.run_id, attempt=2, result=RESULT, seconds=1.0)
    assert DemoRun.objects.get(pk=req.run_id).status == "done"


def test_a_run_whose_worker_keeps_dying_ends_failed(queued, django_capture_on_commit_callbacks):
    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert demo_run_claim(run_id=req.run_id, token=1) == attempt
    assert demo_run_claim(run_id=req.run_id, token=1) is None
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "failed" and str(MAX_ATTEMPTS) in run.error and run.finished_at is not None


def test_a_run_whose_computation_was_lost_is_queued_again_when_asked(
    queued, django_capture_on_commit_callbacks, settings
):
    """Its worker died and the message went with it (the filesystem broker does not deliver it again): past its
    hard time limit plus LOST_MARGIN the run cannot still be computing. Asked for again, it is queued again;
    until then it stays as it is; it no longer counts towards the cap."""
    import datetime as dt

    from django.utils import timezone

    settings.DEMO_TIME_LIMITS = {"nms_steps": (7, 9)}
    settings.DEMO_MAX_QUEUED = 1
    a, b = make_user(), make_user()
    req = ask(a, capture=django_capture_on_commit_callbacks)
    t0 = timezone.now()
    assert demo_run_claim(run_id=req.run_id, token=1, now=t0) == 1
    # within its hard limit (9 s) plus the margin: the same run, nothing queued
    with django_capture_on_commit_callbacks(execute=True):
        demo_run_request(user=b, demo_id="nms_steps", params=FAST, now=t0 + dt.timedelta(seconds=9 + 59))
    assert len(queued) == 1 and DemoRun.objects.get(pk=req.run_id).status == "running"
    # a's one queued-or-running run is the limit (DEMO_MAX_QUEUED = 1) while it may still be computing
    with pytest.raises(ServiceError) as exc, django_capture_on_commit_callbacks(execute=True):
        demo_run_request(
            user=a, demo_id="nms_steps", params=FAST, seed=1, now=t0 + dt.timedelta(seconds=9 + 59)
        )
    assert exc.value.code == "too_many_runs"
    # past it (the longest limit of any demonstration is the default 45 s): lost, not counted, queued again
    later = t0 + dt.timedelta(seconds=45 + services.LOST_MARGIN + 1)
    with django_capture_on_commit_callbacks(execute=True):
        other = demo_run_request(user=a, demo_id="nms_steps", params=FAST, seed=1, now=later)
    assert other.run_id != req.run_id and len(queued) == 2
    with django_capture_on_commit_callbacks(execute=True):
        again = demo_run_request(user=b, demo_id="nms_steps", params=FAST, now=later)
    assert again.run_id == req.run_id and queued[-1] == (req.run_id, 2, "nms_steps")
    run = DemoRun.objects.get(pk=req.run_id)
    assert (run.status, run.progress, run.started_at, run.attempts) == ("queued", 0, None, 0)
    assert (
        demo_run_compute(run_id=req.run_id, token=1) == "skipped"
    )  # the lost task's number, if it came back
    assert demo_run_compute(run_id=req.run_id, token=2) == "done"
    assert DemoRun.objects.get(pk=req.run_id).started_count == 2


def test_a_raising_demonstration_ends_failed_with_its_message(
    queued, django_capture_on_commit_callbacks, monkeypatch
):
    demo = get_demo("nms_steps")

    def boom(*a, **kw):
        raise ValueError("the boxes caught fire")

    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    with monkeypatch.context() as m:
        m.setattr(demo, "compute", boom)
        assert demo_run_compute(run_id=req.run_id, token=1) == "failed"
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "failed" and run.error == "ValueError: the boxes caught fire" and run.result is None
    # asked for again, a failed run is queued again (with a new task number)
    again = ask(make_user(), capture=django_capture_on_commit_callbacks)
    assert again.run_id == req.run_id and queued[-1] == (req.run_id, 2, "nms_steps")
    assert demo_run_compute(run_id=req.run_id, token=1) == "skipped"
    assert demo_run_compute(run_id=req.run_id, token=2) == "done"


def test_the_soft_time_limit_ends_the_run_failed(
    queued, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.DEMO_TIME_LIMITS = {"nms_steps": (7, 9)}

    def slow(*a, **kw):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(get_demo("nms_steps"), "compute", slow)
    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    assert demo_run_compute(run_id=req.run_id, token=1) == "failed"
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "failed" and "7" in run.error and "time limit" in run.error


def test_the_hard_time_limit_ends_the_run_failed(queued, django_capture_on_commit_callbacks):
    """Celery calls the link_error callback in the worker's main process after killing the computation."""
    req = ask(make_user(), capture=django_capture_on_commit_callbacks)
    demo_run_claim(run_id=req.run_id, token=1)

    class Ctx:
        args = (req.run_id, 1)

    assert demo_run_lost(Ctx(), ValueError("raised in the task"), None) is False
    assert DemoRun.objects.get(pk=req.run_id).status == "running"
    assert demo_run_lost(Ctx(), TimeLimitExceeded(45), None) is True
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "failed" and "45" in run.error


def test_cancel_stops_the_computation_when_nobody_else_waits(queued, django_capture_on_commit_callbacks):
    a, b = make_user(), make_user()
    ra = ask(a, capture=django_capture_on_commit_callbacks)
    ask(b, capture=django_capture_on_commit_callbacks)
    demo_run_cancel(user=a, run_id=ra.run_id)
    assert DemoRun.objects.get(pk=ra.run_id).status == "queued"  # b still waits
    with pytest.raises(Conflict):
        demo_run_cancel(user=a, run_id=ra.run_id)
    demo_run_cancel(user=b, run_id=ra.run_id)
    assert DemoRun.objects.get(pk=ra.run_id).status == "cancelled"
    assert demo_run_compute(run_id=ra.run_id, token=1) == "skipped"
    with pytest.raises(NotFound):
        demo_run_cancel(user=make_user(), run_id=ra.run_id)


def test_cancel_while_running_stops_at_the_next_progress(
    queued, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0.0)
    user = make_user()
    req = ask(user, "receptive_field", {}, capture=django_capture_on_commit_callbacks)
    real = services.demo_run_progress
    calls: list[int] = []

    def cancel_after_first(**kw):
        calls.append(kw["progress"])
        if len(calls) == 2:
            demo_run_cancel(user=user, run_id=req.run_id)
        return real(**kw)

    monkeypatch.setattr(services, "demo_run_progress", cancel_after_first)
    assert demo_run_compute(run_id=req.run_id, token=1) == "stopped"
    run = DemoRun.objects.get(pk=req.run_id)
    assert run.status == "cancelled" and run.result is None and len(calls) == 2
    with pytest.raises(Conflict):
        demo_run_cancel(user=user, run_id=req.run_id)
    # asked for again: queued again and computed by the new task
    again = ask(user, "receptive_field", {}, capture=django_capture_on_commit_callbacks)
    assert again.run_id == req.run_id and not again.cancelled
    monkeypatch.setattr(services, "demo_run_progress", real)
    assert demo_run_compute(run_id=req.run_id, token=2) == "done"


def test_a_message_delivered_again_while_its_run_computes_is_computed_once(
    queued, django_capture_on_commit_callbacks, monkeypatch
):
    """A visibility timeout shorter than the run (CELERY_VISIBILITY_TIMEOUT) gives the message of a live run to
    another worker: that delivery takes the run over as attempt 2 and writes the result; the first computation
    stops at its next progress write and writes nothing more."""
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0.0)
    req = ask(make_user(), "receptive_field", {}, seed=4, capture=django_capture_on_commit_callbacks)
    real = services.demo_run_progress
    outcomes: list[str] = []

    def redelivered_during_first(**kw):
        if kw["attempt"] == 1 and not outcomes:  # the second delivery runs on "another worker" meanwhile
            outcomes.append(demo_run_compute(run_id=req.run_id, token=1))
        return real(**kw)

    monkeypatch.setattr(services, "demo_run_progress", redelivered_during_first)
    assert demo_run_compute(run_id=req.run_id, token=1) == "stopped"
    assert outcomes == ["done"]
    run = DemoRun.objects.get(pk=req.run_id)
    assert (run.status, run.started_count, run.progress) == ("done", 2, 100)
    assert run.result == get_demo("receptive_field").run({}, seed=4).to_dict()
    # the message once more (its first worker acknowledged nothing yet): the run has ended, nothing happens
    assert demo_run_compute(run_id=req.run_id, token=1) == "skipped"
    assert DemoRun.objects.get(pk=req.run_id).finished_at == run.finished_at


def _greedy_nms(boxes, scores, threshold):
    """Plain-Python greedy NMS: the highest score first, drop every box whose IoU with a kept one is > threshold."""

    def iou(p, q):
        w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
        h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
        inter = w * h
        area = lambda b: (b[2] - b[0]) * (b[3] - b[1])  # noqa: E731
        return inter / (area(p) + area(q) - inter)

    order = sorted(range(len(boxes)), key=lambda i: -scores[i])
    kept: list[int] = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= threshold for k in kept):
            kept.append(i)
    return kept


def test_the_prediction_is_graded_from_the_result(queued, django_capture_on_commit_callbacks):
    user = make_user()
    params = {"boxes": 12, "objects": 3, "iou_threshold": 0.3}
    req = ask(user, params=params, seed=4, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ServiceError):
        demo_prediction_set(user=user, run_id=req.run_id, choice=3)  # three choices: 0, 1, 2
    demo_prediction_set(user=user, run_id=req.run_id, choice=0)
    with pytest.raises(Conflict):
        demo_prediction_set(user=user, run_id=req.run_id, choice=1)
    with pytest.raises(NotFound):
        demo_prediction_set(user=make_user(), run_id=req.run_id, choice=1)
    demo_run_compute(run_id=req.run_id, token=1)
    series = DemoRun.objects.get(pk=req.run_id).result["series"]
    kept = len(_greedy_nms(series["boxes"], series["scores"], 0.3))
    right_choice = 0 if kept <= 3 else 1 if kept <= 6 else 2  # "1–3", "4–6", "7–12"
    from dlquiz.demos.apis import run_data

    data = run_data(DemoRequest.objects.select_related("run").get(pk=req.pk))
    assert data["prediction"] == {"choice": 0, "right": right_choice == 0}
    other = make_user()
    theirs = ask(other, params=params, seed=4, capture=django_capture_on_commit_callbacks)
    demo_prediction_set(user=other, run_id=theirs.run_id, choice=right_choice)
    data = run_data(DemoRequest.objects.select_related("run").get(pk=theirs.pk))
    assert data["prediction"] == {"choice": right_choice, "right": True} and data["status"] == "done"


def test_beat_ends_a_run_whose_worker_died_as_failed_and_leaves_the_others(
    queued, django_capture_on_commit_callbacks, settings
):
    """A run still "running" past its hard limit plus LOST_MARGIN (and, on Redis, past the visibility timeout,
    when the broker would deliver the message again) ends failed with a message, so no page shows it running
    forever; a run within its time, or one a newer computation took over, is left alone; asked for again,
    the failed run is queued again."""
    import datetime as dt

    from django.utils import timezone

    from dlquiz.celery import _schedule
    from dlquiz.demos.services import demo_runs_lost_fail

    settings.DEMO_TIME_LIMITS = {"nms_steps": (7, 9)}
    settings.REDIS_URL = ""  # the filesystem broker: no message comes back
    learner = make_user()
    lost = ask(learner, capture=django_capture_on_commit_callbacks)
    fresh = ask(learner, seed=5, capture=django_capture_on_commit_callbacks)
    t0 = timezone.now()
    assert demo_run_claim(run_id=lost.run_id, token=1, now=t0) == 1
    assert demo_run_claim(run_id=fresh.run_id, token=1, now=t0 + dt.timedelta(seconds=60)) == 1
    at = t0 + dt.timedelta(seconds=9 + services.LOST_MARGIN + 1)  # 9 s hard limit + margin, and a second
    assert demo_runs_lost_fail(now=at - dt.timedelta(seconds=2)) == 0  # not yet
    assert demo_runs_lost_fail(now=at) == 1
    run = DemoRun.objects.get(pk=lost.run_id)
    assert run.status == "failed" and "worker" in run.error and run.finished_at == at
    assert DemoRun.objects.get(pk=fresh.run_id).status == "running"
    # on Redis the message comes back after the visibility timeout: the sweep waits for that too
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
    assert demo_runs_lost_fail(now=t0 + dt.timedelta(seconds=60 + 299 + services.LOST_MARGIN)) == 0
    assert demo_runs_lost_fail(now=t0 + dt.timedelta(seconds=60 + 301 + services.LOST_MARGIN)) == 1
    # the failed run asked for again: queued again with a new task number
    with django_capture_on_commit_callbacks(execute=True):
        again = demo_run_request(user=learner, demo_id="nms_steps", params=FAST)
    assert again.run_id == lost.run_id and queued[-1] == (lost.run_id, 2, "nms_steps")

    class Beat:  # beat runs the sweep every minute
        tasks: dict[str, object] = {}

        def signature(self, name):
            return name

        def add_periodic_task(self, schedule, signature, **_):
            self.tasks[signature] = schedule

    beat = Beat()
    _schedule(beat)
    assert beat.tasks["dlquiz.demos.tasks.demos_sweep"] == 60.0
