"""Demonstration runs: asking for one, cancelling it, predicting its outcome (the learner's side), and
computing it (the worker's side, :func:`demo_run_compute`, called by the Celery task).

A run is shared: identical requests (same demonstration, version, canonical parameters and seed) find the
one ``DemoRun`` row through its unique constraint, also while it is queued or running, and only the request
that created it (or revives a failed or cancelled one) queues a task. Each learner's ``DemoRequest`` holds
what is theirs: when they asked, whether they cancelled, their prediction.

The worker claims the run under a row lock (a stale or duplicate message, or one for a run that already
ended, does nothing), reports progress with conditional updates (``status = running`` and its own attempt
number: when one fails the run was cancelled, or taken over by a redelivered task, and the computation
stops there), and writes the result or the error with the same condition, so a run ends exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

import engine
from dlquiz.demos.models import DemoRequest, DemoRun
from dlquiz.errors import Conflict, NotFound, ServiceError
from engine.demos import Demo, InvalidDemoParams, get_demo

logger = logging.getLogger(__name__)

Status = DemoRun.Status
#: a run whose computation was started this many times (each start after a worker died) ends failed
MAX_ATTEMPTS = 3
#: the least time between two progress writes of one computation (the first one is written at once)
PROGRESS_INTERVAL = 0.2
#: a run still "running" this many seconds past its hard time limit has lost its computation: the worker died
#: and its message is gone (kombu's filesystem broker, `make run`'s default, does not deliver it again; Redis
#: does so only after its visibility timeout). Asked for again, it is queued again; it no longer counts
#: towards the learner's cap.
LOST_MARGIN = 60


class TooManyRuns(ServiceError):
    code = "too_many_runs"
    status_code = 429


def demo_or_404(demo_id: str) -> Demo:
    try:
        return get_demo(demo_id)
    except KeyError:
        raise NotFound("没有这个演示 / no such demonstration") from None


def time_limits(demo_id: str) -> tuple[int, int]:
    """``(soft, hard)`` seconds for one demonstration's task (``DEMO_TIME_LIMITS`` or the defaults)."""
    return settings.DEMO_TIME_LIMITS.get(demo_id, (settings.DEMO_SOFT_TIME_LIMIT, settings.DEMO_TIME_LIMIT))


def _lost(run: DemoRun, now: Any) -> bool:
    """The run is "running" but its computation must have ended long ago (see ``LOST_MARGIN``)."""
    if run.status != Status.RUNNING or run.started_at is None:
        return False
    return run.started_at < now - dt.timedelta(seconds=time_limits(run.demo)[1] + LOST_MARGIN)


def _lost_cutoff(now: Any) -> Any:
    """Runs started before this, and still "running", are lost whatever their demonstration's limits."""
    longest = max([settings.DEMO_TIME_LIMIT, *(h for _, h in settings.DEMO_TIME_LIMITS.values())])
    return now - dt.timedelta(seconds=longest + LOST_MARGIN)


def _sweep_after(demo_id: str) -> float:
    """Seconds after its start when beat's sweep ends a run still "running" as failed: past its hard limit
    and, on Redis, past the broker's visibility timeout (Redis gives a killed worker's message back then, and
    the redelivered task finishes the run), plus ``LOST_MARGIN``."""
    visibility = (
        settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 0) if settings.REDIS_URL else 0
    )
    return max(time_limits(demo_id)[1], int(str(visibility or 0))) + LOST_MARGIN


def demo_runs_lost_fail(*, now: Any = None) -> int:
    """Beat's sweep: a run whose computation is gone (its worker died and no message will come back: kombu's
    filesystem broker keeps none; on Redis, past the visibility timeout) ends ``failed`` with a message
    instead of showing "running" to its learners forever; asked for again, it is queued again. Returns how
    many runs it ended."""
    now = now or timezone.now()
    shortest = min([settings.DEMO_TIME_LIMIT, *(h for _, h in settings.DEMO_TIME_LIMITS.values())])
    candidates = DemoRun.objects.filter(
        status=Status.RUNNING, started_at__lt=now - dt.timedelta(seconds=shortest + LOST_MARGIN)
    ).values_list("pk", "demo", "started_at", "started_count")
    ended = 0
    for pk, demo_id, started_at, attempt in candidates:
        if started_at >= now - dt.timedelta(seconds=_sweep_after(demo_id)):
            continue
        ended += demo_run_fail(  # conditional on the same attempt: a computation that took it over since wins
            run_id=pk,
            attempt=attempt,
            error="计算中断：执行它的 worker 已退出，请重新运行 / the worker running it stopped; start it again",
            now=now,
        )
    return ended


def params_key(params: Mapping[str, Any]) -> str:
    """The canonical parameters as the unique key stores them: compact JSON, sorted keys."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _enqueue(run: DemoRun) -> None:
    from dlquiz.demos.tasks import demo_run_enqueue

    run_id, token, demo_id = run.pk, run.enqueued, run.demo
    transaction.on_commit(lambda: demo_run_enqueue(run_id=run_id, token=token, demo_id=demo_id))


def _queue_again(run: DemoRun, now: Any) -> None:
    """A failed or cancelled run asked for again: back to the queue with a fresh task number."""
    run.status = Status.QUEUED
    run.progress = 0
    run.error = ""
    run.result_json = ""
    run.answer = None
    run.enqueued += 1
    run.attempts = 0
    run.queued_at = now
    run.started_at = run.finished_at = run.first_progress_at = None
    run.compute_seconds = None
    run.save()


def demo_run_request(
    *, user: User, demo_id: str, params: Mapping[str, Any] | None, seed: int = 0, now: Any = None
) -> DemoRequest:
    """The learner asks for a run: the shared row (created and queued if new, queued again if it had
    failed or was cancelled) and the learner's request of it.

    Bad parameters or seed: a 400 ``invalid_params`` naming the parameter, nothing written or queued. A run
    that would be one too many of the learner's queued or running runs: 429 ``too_many_runs``."""
    now = now or timezone.now()
    demo = demo_or_404(demo_id)
    try:
        canonical = demo.canonical(params)
    except InvalidDemoParams as exc:
        raise ServiceError(str(exc), code="invalid_params", fields={"params": [str(exc)]}) from None
    try:
        seed = Demo.check_seed(seed)
    except InvalidDemoParams as exc:
        raise ServiceError(str(exc), code="invalid_params", fields={"seed": [str(exc)]}) from None
    key = {"demo": demo.id, "version": demo.version, "params_key": params_key(canonical), "seed": seed}
    with transaction.atomic():
        User.objects.select_for_update().filter(
            pk=user.pk
        ).first()  # one learner's requests in turn (the cap)
        run = DemoRun.objects.select_for_update().filter(**key).first()
        mine = DemoRequest.objects.filter(user=user, run=run).first() if run is not None else None
        lost = run is not None and _lost(run, now)
        already_waiting = (
            mine is not None
            and not mine.cancelled
            and run is not None
            and run.status in run.ACTIVE
            and not lost
        )
        will_work = run is None or run.status != Status.DONE
        if will_work and not already_waiting:
            active = DemoRequest.objects.filter(
                user=user, cancelled=False, run__status__in=DemoRun.ACTIVE
            ).exclude(run__status=Status.RUNNING, run__started_at__lt=_lost_cutoff(now))
            if active.count() >= settings.DEMO_MAX_QUEUED:
                raise TooManyRuns(
                    f"最多同时排队 {settings.DEMO_MAX_QUEUED} 个演示，请等它们完成或取消一个 / "
                    f"at most {settings.DEMO_MAX_QUEUED} demonstrations queued or running at once"
                )
        if run is None:
            try:
                with transaction.atomic():
                    run = DemoRun.objects.create(**key, params=canonical, enqueued=1, queued_at=now)
                _enqueue(run)
            except IntegrityError:  # an identical request committed its run meanwhile: share it
                run = DemoRun.objects.select_for_update().get(**key)
                if run.status in (Status.FAILED, Status.CANCELLED):
                    _queue_again(run, now)
                    _enqueue(run)
        elif run.status in (Status.FAILED, Status.CANCELLED) or lost:
            _queue_again(run, now)
            _enqueue(run)
        request, created = DemoRequest.objects.get_or_create(
            user=user, run=run, defaults={"requested_at": now}
        )
        if not created:
            request.requested_at = now
            request.cancelled = False
            request.save(update_fields=["requested_at", "cancelled"])
    request.run = run
    return request


def _request_locked(*, user: User, run_id: int) -> DemoRequest:
    try:
        return DemoRequest.objects.select_for_update().select_related("run").get(user=user, run_id=run_id)
    except DemoRequest.DoesNotExist:
        raise NotFound("没有这个演示运行 / no such demonstration run") from None


def demo_run_cancel(*, user: User, run_id: int, now: Any = None) -> DemoRequest:
    """The learner cancels their request; the computation stops (status ``cancelled``) when no other
    learner waits for it. 409 when the run has already ended or the learner had cancelled already."""
    now = now or timezone.now()
    with transaction.atomic():
        request = _request_locked(user=user, run_id=run_id)
        run = DemoRun.objects.select_for_update().get(pk=run_id)
        if request.cancelled or run.status not in DemoRun.ACTIVE:
            raise Conflict("这次运行已经结束 / the run has already finished", code="finished")
        request.cancelled = True
        request.save(update_fields=["cancelled"])
        if not run.requests.filter(cancelled=False).exists():
            run.status = Status.CANCELLED
            run.finished_at = now
            run.save(update_fields=["status", "finished_at"])
    request.run = run
    return request


def demo_prediction_set(*, user: User, run_id: int, choice: int, now: Any = None) -> DemoRequest:
    """Store the learner's answer to the run's prediction question (once; 409 the second time)."""
    with transaction.atomic():
        request = _request_locked(user=user, run_id=run_id)
        run = request.run
        choices = demo_or_404(run.demo).question(run.params).choices
        if not 0 <= choice < len(choices):
            raise ServiceError(
                f"choice must be 0..{len(choices) - 1}", code="invalid", fields={"choice": ["no such choice"]}
            )
        if request.prediction is not None:
            raise Conflict("已经作答 / already predicted", code="already_predicted")
        request.prediction = choice
        request.predicted_at = now or timezone.now()
        request.save(update_fields=["prediction", "predicted_at"])
    return request


# -- the worker's side ------------------------------------------------------------------------------------


class _Stopped(Exception):
    """The run was cancelled (or taken over by a newer attempt) while this computation ran."""


def demo_run_claim(*, run_id: int, token: int, now: Any = None) -> int | None:
    """Start a computation of the run: its attempt number, or ``None`` when there is nothing to do (no
    such run, a stale task number, a run that has ended). A run that has been started ``MAX_ATTEMPTS``
    times (each time its worker died) ends failed instead."""
    now = now or timezone.now()
    with transaction.atomic():
        run = DemoRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.enqueued != token or run.status not in DemoRun.ACTIVE:
            return None
        if run.attempts >= MAX_ATTEMPTS:
            run.status = Status.FAILED
            run.error = f"计算进程 {run.attempts} 次中途退出 / the worker stopped {run.attempts} times"
            run.finished_at = now
            run.save(update_fields=["status", "error", "finished_at"])
            return None
        run.status = Status.RUNNING
        run.started_count += 1
        run.attempts += 1
        run.started_at = now
        run.progress = 0
        run.save(update_fields=["status", "started_count", "attempts", "started_at", "progress"])
        return run.started_count


def _mine(run_id: int, attempt: int | None) -> Any:
    qs = DemoRun.objects.filter(pk=run_id, status=Status.RUNNING)
    return qs if attempt is None else qs.filter(started_count=attempt)


def demo_run_progress(*, run_id: int, attempt: int, progress: int, now: Any = None) -> bool:
    """Write the progress of a computation; ``False`` when the run is no longer this computation's."""
    now = now or timezone.now()
    return bool(
        _mine(run_id, attempt).update(progress=progress, first_progress_at=Coalesce("first_progress_at", now))
    )


def demo_run_finish(
    *, run_id: int, attempt: int, result: dict[str, Any], seconds: float, now: Any = None
) -> bool:
    return bool(
        _mine(run_id, attempt).update(
            status=Status.DONE,
            progress=100,
            result_json=json.dumps(result, ensure_ascii=False, separators=(",", ":"), allow_nan=False),
            answer=result["prediction"]["answer"],
            device=str(result.get("device", ""))[:32],
            compute_seconds=seconds,
            finished_at=now or timezone.now(),
        )
    )


def demo_run_fail(*, run_id: int, attempt: int | None, error: str, now: Any = None) -> bool:
    """End a running computation as failed (``attempt=None``: whichever computation holds it)."""
    return bool(
        _mine(run_id, attempt).update(
            status=Status.FAILED, error=error[:2000], finished_at=now or timezone.now()
        )
    )


def demo_run_compute(*, run_id: int, token: int, soft_limit: float | None = None) -> str:
    """The task's body: claim the run, compute it with progress, write the result or the error. Returns
    what happened (``done``, ``failed``, ``stopped``, ``skipped``), for the worker's log."""
    attempt = demo_run_claim(run_id=run_id, token=token)
    if attempt is None:
        logger.info("demo run %s: nothing to do (task %s)", run_id, token)
        return "skipped"
    run = DemoRun.objects.get(pk=run_id)
    demo = get_demo(run.demo)
    last = [0.0]

    def progress(pct: int) -> None:
        if pct >= 100:
            return  # written with the result
        t = time.monotonic()
        if last[0] and t - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = t
        if not demo_run_progress(run_id=run_id, attempt=attempt, progress=pct):
            raise _Stopped

    started = time.monotonic()
    logger.info("demo run %s: started %s (attempt %s)", run_id, run.demo, attempt)
    try:
        result = demo.run(run.params, seed=run.seed, progress=progress, device=engine.get_device())
    except _Stopped:
        logger.info("demo run %s: stopped (cancelled)", run_id)
        return "stopped"
    except SoftTimeLimitExceeded:
        soft = soft_limit if soft_limit is not None else time_limits(run.demo)[0]
        soft = int(soft) if float(soft).is_integer() else soft
        demo_run_fail(
            run_id=run_id, attempt=attempt, error=f"超过时间限制 {soft} 秒 / time limit of {soft} s exceeded"
        )
        logger.warning("demo run %s: soft time limit", run_id)
        return "failed"
    except Exception as exc:
        logger.exception("demo run %s failed", run_id)
        demo_run_fail(run_id=run_id, attempt=attempt, error=f"{type(exc).__name__}: {exc}")
        return "failed"
    seconds = time.monotonic() - started
    if demo_run_finish(run_id=run_id, attempt=attempt, result=result.to_dict(), seconds=seconds):
        logger.info("demo run %s: done in %.2f s", run_id, seconds)
        return "done"
    logger.info("demo run %s: finished but no longer ours (cancelled)", run_id)
    return "stopped"
