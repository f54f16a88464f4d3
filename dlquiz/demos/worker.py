"""What a worker process does before it computes demonstrations (connected in ``dlquiz/celery.py``)."""

from __future__ import annotations

import logging
import os

import torch
from django.conf import settings

from engine import get_device
from engine.demos import warm_up

logger = logging.getLogger(__name__)


def prepare_process() -> None:
    """Few torch threads per process: the tensors are small, and an oversubscribed CPU makes OpenMP's
    spinning threads slow a run down many times over (docs/demos.md)."""
    torch.set_num_threads(max(1, settings.DEMO_WORKER_THREADS))


def warm() -> None:
    """At worker start, in the main process before the pool forks: the threads, and the one-off cost of
    the first ``torch.optim`` optimizer, so that a learner's first run does not pay it."""
    prepare_process()
    warm_up()
    logger.info(
        "demonstrations: device %s, %d torch thread(s) per process, OMP_WAIT_POLICY=%s",
        get_device(),
        torch.get_num_threads(),
        os.environ.get("OMP_WAIT_POLICY", "(unset)"),
    )
