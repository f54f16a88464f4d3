"""Reads of FSRS optimisation: runs, the parameters' history, retention advice."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from dlquiz.errors import Conflict, NotFound
from dlquiz.scheduler import fitting
from dlquiz.scheduler.models import OptimizeRun
from dlquiz.scheduler.services import _reviews
from dlquiz.study import scheduling
from dlquiz.study.selectors import settings_get

__all__ = ["RETENTIONS", "optimize_run_get", "parameters_history", "retention_advice"]

#: desired retentions the advice simulates: 0.70 to 0.97 in steps of 0.03
RETENTIONS = tuple(round(0.70 + 0.03 * i, 2) for i in range(10))


def optimize_run_get(*, user: User, run_id: int | None = None) -> OptimizeRun:
    """One of the learner's runs, or their latest (None)."""
    runs = OptimizeRun.objects.filter(user=user)
    run = runs.filter(pk=run_id).first() if run_id is not None else runs.order_by("-id").first()
    if run is None:
        raise NotFound("没有优化记录 / no optimisation run")
    return run


@dataclass(frozen=True)
class Parameters:
    parameters: list[float]
    is_default: bool
    history: list[OptimizeRun]  # adopted runs, newest first


def parameters_history(*, user: User) -> Parameters:
    prefs = settings_get(user=user)
    adopted = list(OptimizeRun.objects.filter(user=user, adopted=True).order_by("-id")[:50])
    return Parameters(list(scheduling.parameters_of(prefs)), not prefs.fsrs_parameters, adopted)


def retention_advice(*, user: User) -> list[dict[str, float]]:
    """For each desired retention in ``RETENTIONS``: simulated reviews and minutes per day (a year of the
    learner's daily new cards, their parameters in force, their ratings and review durations)."""
    prefs = settings_get(user=user)
    reviews, _ = _reviews(user)
    if len({r.card for r in reviews}) < 2 or len(reviews) < 10:
        raise Conflict(
            "复习太少，无法模拟 / too few reviews to simulate (at least 10 reviews of 2 cards)",
            code="too_few_reviews",
        )
    return fitting.workload(
        reviews,
        scheduling.parameters_of(prefs),
        retentions=RETENTIONS,
        cards_per_day=max(prefs.new_per_day, 1),
    )
