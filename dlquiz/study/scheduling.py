"""FSRS scheduling on plain values (no ORM): the ``fsrs`` package plus a deterministic fuzz.

py-fsrs draws its interval fuzz from the global ``random``; we switch that off and apply the same
fuzz ranges with a generator seeded by (learner, card, review number), so the interval previewed on a
rating button is exactly the interval the review then gives.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any, TypedDict

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from fsrs import State as FsrsState

__all__ = ["MemoryState", "fuzzed_days", "make_scheduler", "new_state", "preview", "retrievability", "review"]

MAXIMUM_INTERVAL = 36500
NEW, LEARNING, REVIEW, RELEARNING = 0, 1, 2, 3  # same numbers as fsrs.State and study.models.State
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))


class MemoryState(TypedDict):
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: str | None
    last_review: str | None
    reps: int
    lapses: int


def new_state() -> MemoryState:
    return {
        "state": NEW,
        "step": None,
        "stability": None,
        "difficulty": None,
        "due": None,
        "last_review": None,
        "reps": 0,
        "lapses": 0,
    }


def make_scheduler(
    *, desired_retention: float, learning_steps: list[int], relearning_steps: list[int]
) -> Scheduler:
    return Scheduler(
        desired_retention=desired_retention,
        learning_steps=tuple(dt.timedelta(minutes=m) for m in learning_steps),
        relearning_steps=tuple(dt.timedelta(minutes=m) for m in relearning_steps),
        maximum_interval=MAXIMUM_INTERVAL,
        enable_fuzzing=False,
    )


def _iso(d: dt.datetime | None) -> str | None:
    return d.astimezone(dt.UTC).isoformat() if d else None


def _parse(s: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(s).astimezone(dt.UTC) if s else None


def _to_fsrs(m: MemoryState, now: dt.datetime) -> FsrsCard:
    if m["state"] == NEW:
        return FsrsCard(card_id=1, state=FsrsState.Learning, step=0, due=now)
    return FsrsCard(
        card_id=1,
        state=FsrsState(m["state"]),
        step=m["step"],
        stability=m["stability"],
        difficulty=m["difficulty"],
        due=_parse(m["due"]),
        last_review=_parse(m["last_review"]),
    )


def fuzzed_days(days: int, *, seed: str) -> int:
    """FSRS's fuzz range around ``days``, drawn with a generator seeded by ``seed``."""
    if days < 2.5:
        return days
    delta = 1.0
    for start, end, factor in _FUZZ_RANGES:
        delta += factor * max(min(float(days), end) - start, 0.0)
    lo = max(2, round(days - delta))
    hi = min(round(days + delta), MAXIMUM_INTERVAL)
    lo = min(lo, hi)
    return min(round(random.Random(seed).random() * (hi - lo + 1) + lo), MAXIMUM_INTERVAL)


def review(m: MemoryState, *, rating: int, now: dt.datetime, scheduler: Scheduler, seed: str) -> MemoryState:
    """The memory state after rating the card at ``now`` (UTC)."""
    now = now.astimezone(dt.UTC)
    card, _ = scheduler.review_card(_to_fsrs(m, now), Rating(rating), review_datetime=now)
    due = card.due
    if card.state == FsrsState.Review:
        days = (card.due - now).days
        due = now + dt.timedelta(days=fuzzed_days(days, seed=seed))
    lapses = m["lapses"] + (1 if m["state"] == REVIEW and rating == Rating.Again else 0)
    return {
        "state": int(card.state),
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": _iso(due),
        "last_review": _iso(now),
        "reps": m["reps"] + 1,
        "lapses": lapses,
    }


def preview(m: MemoryState, *, now: dt.datetime, scheduler: Scheduler, seed: str) -> dict[int, int]:
    """Seconds until due for each rating 1-4, as :func:`review` would give them."""
    out = {}
    for rating in (1, 2, 3, 4):
        after = review(m, rating=rating, now=now, scheduler=scheduler, seed=seed)
        out[rating] = int((_parse(after["due"]) - now.astimezone(dt.UTC)).total_seconds())  # type: ignore[operator]
    return out


def retrievability(m: MemoryState, *, at: dt.datetime, scheduler: Scheduler) -> float:
    if m["state"] == NEW or m["stability"] is None:
        return 0.0
    return float(scheduler.get_card_retrievability(_to_fsrs(m, at), current_datetime=at.astimezone(dt.UTC)))


def parse_time(s: str | None) -> dt.datetime | None:
    return _parse(s)


def state_fields(m: MemoryState) -> dict[str, Any]:
    """The CardState model fields of a memory state."""
    return {
        "state": m["state"],
        "step": m["step"],
        "stability": m["stability"],
        "difficulty": m["difficulty"],
        "due": _parse(m["due"]),
        "last_review": _parse(m["last_review"]),
        "reps": m["reps"],
        "lapses": m["lapses"],
    }


def memory_of(obj: Any) -> MemoryState:
    """A CardState (or anything with its fields) as a MemoryState."""
    return {
        "state": int(obj.state),
        "step": obj.step,
        "stability": obj.stability,
        "difficulty": obj.difficulty,
        "due": _iso(obj.due),
        "last_review": _iso(obj.last_review),
        "reps": obj.reps,
        "lapses": obj.lapses,
    }
