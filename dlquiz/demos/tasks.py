"""The demonstration task, on the ``demos`` queue (``CELERY_TASK_ROUTES``): it computes one run and writes
its progress and result to the row (``services.demo_run_compute``).

``acks_late`` + ``reject_on_worker_lost``: a worker that dies mid-run leaves the message to be delivered
again, and the redelivered task starts the computation again (the run's attempt number makes the first
one's late writes, if any, count for nothing); a task for a run that has ended does nothing. The soft time
limit ends the run failed inside the task; the hard limit kills the process, and Celery then calls
:func:`demo_run_lost` (``link_error``) in the worker's main process, which ends the run failed too.
"""

from __future__ import annotations

from typing import Any

from billiard.exceptions import TimeLimitExceeded
from celery import shared_task

from dlquiz.demos.services import demo_run_compute, demo_run_fail, demo_runs_lost_fail, time_limits


@shared_task(name="dlquiz.demos.tasks.demo_run_task", bind=True, acks_late=True, reject_on_worker_lost=True)
def demo_run_task(self: Any, run_id: int, token: int) -> str:
    # the limits this message carries (set when it was queued): (hard, soft) seconds
    soft = (self.request.timelimit or (None, None))[1]
    return demo_run_compute(run_id=run_id, token=token, soft_limit=soft)


@shared_task(name="dlquiz.demos.tasks.demo_run_lost")
def demo_run_lost(request: Any, exc: BaseException, traceback: Any) -> bool:
    """``link_error`` of :func:`demo_run_task` (three arguments: Celery calls it in place, in the worker's
    main process): a computation killed at its hard time limit ends failed instead of running forever."""
    if not isinstance(exc, TimeLimitExceeded):
        return False  # every other error is handled inside the task itself
    run_id = int(request.args[0])
    return demo_run_fail(
        run_id=run_id,
        attempt=None,
        error=f"超过时间限制 {exc.args[0] if exc.args else ''} 秒，计算被终止 / killed at the hard time limit",
    )


def demo_run_enqueue(*, run_id: int, token: int, demo_id: str) -> None:
    """Queue the computation of a run with its demonstration's time limits (called on commit)."""
    soft, hard = time_limits(demo_id)
    demo_run_task.apply_async(
        (run_id, token), soft_time_limit=soft, time_limit=hard, link_error=demo_run_lost.s()
    )


@shared_task(name="dlquiz.demos.tasks.demos_sweep")
def demos_sweep() -> int:
    """Beat, every minute: runs whose worker died and whose message will not come back end failed."""
    return demo_runs_lost_fail()
