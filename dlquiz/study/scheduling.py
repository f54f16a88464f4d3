"""FSRS scheduling on plain values (no ORM): the memory-state value, the ``fsrs`` package, a deterministic fuzz.

:class:`MemoryState` is the one place the eight FSRS fields are named. The card-state columns
(:data:`MEMORY_FIELDS`), the review log's JSON (:meth:`MemoryState.to_json`) and the API's form
(:meth:`MemoryState.to_api`) are derived from it; its times stay aware UTC datetimes until they are written.

py-fsrs draws its interval fuzz from the global ``random``; we switch that off and apply the same
fuzz ranges with a generator seeded by (learner, card, review number), so the interval previewed on a
rating button is exactly the interval the review then gives.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import models
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler
from fsrs import State as FsrsState
from fsrs.scheduler import DEFAULT_PARAMETERS

if TYPE_CHECKING:
    from dlquiz.study.models import StudySettings

__all__ = [
    "DEFAULT_PARAMETERS",
    "MEMORY_FIELDS",
    "MemoryState",
    "ReplayEvent",
    "State",
    "fuzzed_days",
    "make_scheduler",
    "memory_of",
    "parameters_of",
    "preview",
    "previews",
    "retrievability",
    "review",
    "replay",
    "review_seed",
    "scheduler_for",
]

MAXIMUM_INTERVAL = 36500
_FUZZ_RANGES = ((2.5, 7.0, 0.15), (7.0, 20.0, 0.1), (20.0, math.inf, 0.05))


class State(models.IntegerChoices):
    """Where a card is in FSRS's cycle; the same numbers as ``fsrs.State`` (which has no NEW: we give a
    new card to FSRS as Learning at step 0). The label is the API's name of the state."""

    NEW = 0, "new"
    LEARNING = 1, "learning"
    REVIEW = 2, "review"
    RELEARNING = 3, "relearning"


@dataclasses.dataclass(frozen=True, slots=True)
class MemoryState:
    """One learner's FSRS memory of one card. ``MemoryState()`` is a card never reviewed.

    The field order is the column order of the card state in the review's prepared SQL.
    """

    state: State = State.NEW
    step: int | None = None
    stability: float | None = None
    difficulty: float | None = None
    due: dt.datetime | None = None
    last_review: dt.datetime | None = None
    reps: int = 0
    lapses: int = 0

    def __post_init__(self) -> None:
        if type(self.state) is not State:
            object.__setattr__(self, "state", State(self.state))
        for name in _TIME_FIELDS:
            when = getattr(self, name)
            if when is None or when.tzinfo is dt.UTC:
                continue
            if when.tzinfo is None:
                raise ValueError(f"MemoryState.{name} must be an aware datetime, got {when!r}")
            object.__setattr__(self, name, when.astimezone(dt.UTC))

    def fields(self) -> dict[str, Any]:
        """Field name -> value, in column order (the CardState fields this value sets)."""
        return {name: getattr(self, name) for name in MEMORY_FIELDS}

    def _encode(self, *, time: Callable[[dt.datetime], Any], state: Callable[[State], Any]) -> dict[str, Any]:
        """The fields in column order, with the state and the (non-null) times written by the given functions."""
        out = self.fields()
        out["state"] = state(self.state)
        for name in _TIME_FIELDS:
            if out[name] is not None:
                out[name] = time(out[name])
        return out

    def to_json(self) -> dict[str, Any]:
        """The review log's form (``state_before``/``state_after``): the state as its number, times as
        ISO 8601 in UTC (``2026-03-01T12:10:00+00:00``). Unchanged since the first log rows were written."""
        return self._encode(time=dt.datetime.isoformat, state=int)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MemoryState:
        """Read the review log's form (any ISO 8601 offset is accepted; times come back in UTC)."""
        values: dict[str, Any] = {name: data[name] for name in MEMORY_FIELDS}
        for name in _TIME_FIELDS:
            values[name] = dt.datetime.fromisoformat(values[name]) if values[name] else None
        return cls(**values)

    def to_api(self, *, time: Callable[[dt.datetime], Any]) -> dict[str, Any]:
        """The API's form: the state by name ("new", "learning", "review", "relearning"), times written
        by ``time`` (the API's datetime format)."""
        return self._encode(time=time, state=lambda s: s.label)


MEMORY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(MemoryState))
_TIME_FIELDS = ("due", "last_review")


def memory_of(obj: Any) -> MemoryState:
    """The memory state of a CardState (or of anything with its fields)."""
    return MemoryState(*(getattr(obj, name) for name in MEMORY_FIELDS))


def make_scheduler(
    *,
    desired_retention: float,
    learning_steps: list[int],
    relearning_steps: list[int],
    parameters: Sequence[float] | None = None,
) -> Scheduler:
    """A scheduler without py-fsrs's own fuzz; ``parameters`` None is py-fsrs's defaults."""
    return Scheduler(
        parameters=tuple(parameters) if parameters is not None else DEFAULT_PARAMETERS,
        desired_retention=desired_retention,
        learning_steps=tuple(dt.timedelta(minutes=m) for m in learning_steps),
        relearning_steps=tuple(dt.timedelta(minutes=m) for m in relearning_steps),
        maximum_interval=MAXIMUM_INTERVAL,
        enable_fuzzing=False,
    )


def parameters_of(prefs: StudySettings) -> tuple[float, ...]:
    """The learner's FSRS parameters in force: their adopted ones, else py-fsrs's defaults."""
    return tuple(prefs.fsrs_parameters) if prefs.fsrs_parameters else DEFAULT_PARAMETERS


def scheduler_for(prefs: StudySettings, *, parameters: Sequence[float] | None = None) -> Scheduler:
    """The scheduler of a learner's settings (retention, steps and FSRS parameters), shared by every learner
    with the same; ``parameters`` replaces the learner's own (an optimisation run rescheduling with new ones)."""
    params = tuple(parameters) if parameters is not None else parameters_of(prefs)
    return _scheduler(
        prefs.desired_retention, tuple(prefs.learning_steps), tuple(prefs.relearning_steps), params
    )


@functools.lru_cache(maxsize=256)
def _scheduler(
    retention: float, learning: tuple[int, ...], relearning: tuple[int, ...], parameters: tuple[float, ...]
) -> Scheduler:
    """Schedulers are immutable in use: one per distinct setting, shared."""
    return make_scheduler(
        desired_retention=retention,
        learning_steps=list(learning),
        relearning_steps=list(relearning),
        parameters=parameters,
    )


def review_seed(*, user_id: int, card_id: int, reps: int) -> str:
    """The interval fuzz's seed of one review: the learner, the card and its review number."""
    return f"{user_id}:{card_id}:{reps}"


def _to_fsrs(m: MemoryState, now: dt.datetime) -> FsrsCard:
    if m.state == State.NEW:
        return FsrsCard(card_id=1, state=FsrsState.Learning, step=0, due=now)
    return FsrsCard(
        card_id=1,
        state=FsrsState(m.state),
        step=m.step,
        stability=m.stability,
        difficulty=m.difficulty,
        due=m.due,
        last_review=m.last_review,
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


def _schedule(m: MemoryState, *, rating: int, now: dt.datetime, scheduler: Scheduler) -> FsrsCard:
    """FSRS's card after the rating, before our fuzz (``now`` in UTC); the same for equal memory states."""
    card, _ = scheduler.review_card(_to_fsrs(m, now), Rating(rating), review_datetime=now)
    return card


def _due(card: FsrsCard, *, now: dt.datetime, seed: str) -> dt.datetime:
    """The card's due time with the interval fuzz of ``seed`` (review cards only)."""
    if card.state == FsrsState.Review:
        return now + dt.timedelta(days=fuzzed_days((card.due - now).days, seed=seed))
    return card.due  # type: ignore[no-any-return]


def review(m: MemoryState, *, rating: int, now: dt.datetime, scheduler: Scheduler, seed: str) -> MemoryState:
    """The memory state after rating the card at ``now``."""
    now = now.astimezone(dt.UTC)
    card = _schedule(m, rating=rating, now=now, scheduler=scheduler)
    due = _due(card, now=now, seed=seed)
    lapses = m.lapses + (1 if m.state == State.REVIEW and rating == Rating.Again else 0)
    return MemoryState(
        state=State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=due,
        last_review=now,
        reps=m.reps + 1,
        lapses=lapses,
    )


@dataclasses.dataclass(frozen=True, slots=True)
class ReplayEvent:
    """One row of a card's review log as replay needs it: a rating 1-4 at ``at``, or ``rating`` 0 (a reset)."""

    rating: int
    at: dt.datetime


def replay(events: Sequence[ReplayEvent], *, scheduler: Scheduler, user_id: int, card_id: int) -> MemoryState:
    """A card's memory state rebuilt from its log alone (events in log order), each review fuzzed with
    its :func:`review_seed` exactly as :func:`review` did when the learner reviewed it."""
    m = MemoryState()
    for e in events:
        if e.rating == 0:
            m = MemoryState()
            continue
        seed = review_seed(user_id=user_id, card_id=card_id, reps=m.reps)
        m = review(m, rating=e.rating, now=e.at, scheduler=scheduler, seed=seed)
    return m


RATINGS = (1, 2, 3, 4)


def preview(m: MemoryState, *, now: dt.datetime, scheduler: Scheduler, seed: str) -> dict[int, int]:
    """Seconds until due for each rating 1-4, as :func:`review` would give them."""
    return previews([(m, seed)], now=now, scheduler=scheduler)[0]


def previews(
    cards: Sequence[tuple[MemoryState, str]], *, now: dt.datetime, scheduler: Scheduler
) -> list[dict[int, int]]:
    """:func:`preview` of many cards (memory state, fuzz seed) at once, as a queue shows them. FSRS runs
    four times per *distinct* memory state (every new card has the same one), and only the fuzz, seeded per
    card, is drawn per card: a page of new cards costs four FSRS steps, not four per card."""
    now = now.astimezone(dt.UTC)
    scheduled: dict[MemoryState, list[FsrsCard]] = {}
    out = []
    for m, seed in cards:
        after = scheduled.get(m)
        if after is None:
            after = scheduled[m] = [_schedule(m, rating=r, now=now, scheduler=scheduler) for r in RATINGS]
        out.append(
            {
                r: int((_due(c, now=now, seed=seed) - now).total_seconds())
                for r, c in zip(RATINGS, after, strict=True)
            }
        )
    return out


def retrievability(m: MemoryState, *, at: dt.datetime, scheduler: Scheduler) -> float:
    if m.state == State.NEW or m.stability is None:
        return 0.0
    return float(scheduler.get_card_retrievability(_to_fsrs(m, at), current_datetime=at.astimezone(dt.UTC)))
