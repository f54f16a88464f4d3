"""The ``optimize`` queue's tasks: thin adapters over ``services``. The run row is the durable record (status,
progress, result): the task is acknowledged when a worker takes it, and ``optimize_recover`` (beat) queues
again a run whose worker died, so a minutes-long fit never needs the broker to hold its message."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from dlquiz.scheduler import services

QUEUE = "optimize"


@shared_task(
    name="dlquiz.scheduler.tasks.optimize_task",
    queue=QUEUE,
    acks_late=False,
    soft_time_limit=settings.OPTIMIZE_SOFT_TIME_LIMIT,
    time_limit=settings.OPTIMIZE_TIME_LIMIT,
)
def optimize_task(run_id: int) -> str:
    return services.optimize_execute(run_id=run_id).status


@shared_task(name="dlquiz.scheduler.tasks.optimize_dispatch", queue=QUEUE, acks_late=False)
def optimize_dispatch() -> int:
    """Beat, monthly: runs for learners with enough new reviews."""
    return len(services.optimize_dispatch(now=timezone.now()))


@shared_task(name="dlquiz.scheduler.tasks.optimize_recover", queue=QUEUE, acks_late=False)
def optimize_recover() -> int:
    """Beat: queue again runs whose worker died."""
    return len(services.optimize_recover(now=timezone.now()))


@shared_task(
    name="dlquiz.scheduler.tasks.reschedule_task",
    queue=QUEUE,
    acks_late=True,
    reject_on_worker_lost=True,  # idempotent: a redelivered reschedule changes only what is still old
    soft_time_limit=settings.OPTIMIZE_SOFT_TIME_LIMIT,
    time_limit=settings.OPTIMIZE_TIME_LIMIT,
)
def reschedule_task(user_id: int) -> int:
    """Every card of the learner replayed with their settings and parameters as they are now."""
    from django.contrib.auth.models import User

    user = User.objects.filter(pk=user_id).first()
    return 0 if user is None else services.cards_reschedule(user=user)
