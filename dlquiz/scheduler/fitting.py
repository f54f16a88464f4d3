"""Fitting and judging FSRS parameters on plain values (no ORM): py-fsrs's optimizer, the held-out
evaluation (log loss, RMSE over bins, AUC, calibration), and the workload simulation behind retention advice.

A review is :class:`Review` (a card key, a rating 1-4, an aware time, a duration). Predictions follow
py-fsrs's optimizer exactly: each card's reviews in time order (the first ``MAX_SEQ_LEN``), the
retrievability predicted before every review made on a later day than the card's previous one, recall
being any rating but Again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from fsrs import Card, Rating, Scheduler
from fsrs import ReviewLog as FsrsReviewLog

__all__ = [
    "BINS",
    "EPOCHS",
    "MAX_SEQ_LEN",
    "MIN_REVIEWS",
    "Metrics",
    "Review",
    "evaluate",
    "fit",
    "predictions",
    "split_time",
    "trainable_reviews",
    "workload",
]

MAX_SEQ_LEN = 64  # py-fsrs's optimizer uses the first 64 reviews of each card
EPOCHS = 5  # py-fsrs's optimizer's epochs (progress is reported per epoch)
MIN_REVIEWS = 512  # py-fsrs's optimizer returns its defaults below one mini-batch of scored reviews
SIMULATED_CARDS = 300  # the workload simulation follows this many cards and scales them to the real number
BINS = 20  # equal-width bins of predicted recall: RMSE(bins) and the calibration plot
_EPS = 1e-7


@dataclasses.dataclass(frozen=True, slots=True)
class Review:
    card: int
    rating: int
    at: dt.datetime
    duration_ms: int | None = None


def _by_card(reviews: Sequence[Review]) -> dict[int, list[Review]]:
    cards: dict[int, list[Review]] = defaultdict(list)
    for r in reviews:
        cards[r.card].append(r)
    return {k: sorted(v, key=lambda r: r.at)[:MAX_SEQ_LEN] for k, v in sorted(cards.items())}


def predictions(
    reviews: Sequence[Review], parameters: Sequence[float], *, since: dt.datetime | None = None
) -> list[tuple[float, int]]:
    """(predicted recall, recalled 0/1) of every scored review at or after ``since``; each card's memory is
    built from all its reviews (also those before ``since``) with ``parameters``."""
    scheduler = Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    out: list[tuple[float, int]] = []
    for card_id, history in _by_card(reviews).items():
        card = Card(card_id=card_id, due=history[0].at)
        for r in history:
            if (
                card.last_review is not None
                and (r.at - card.last_review).days > 0
                and (since is None or r.at >= since)
            ):
                p = float(scheduler.get_card_retrievability(card, current_datetime=r.at))
                out.append((p, 0 if r.rating == Rating.Again else 1))
            card, _ = scheduler.review_card(card, Rating(r.rating), review_datetime=r.at)
    return out


def trainable_reviews(reviews: Sequence[Review]) -> int:
    """How many reviews py-fsrs's optimizer would score (a later day than the card's previous review)."""
    n = 0
    for history in _by_card(reviews).values():
        for prev, r in zip(history, history[1:], strict=False):
            n += (r.at - prev.at).days > 0
    return n


def split_time(reviews: Sequence[Review], fraction: float = 0.8) -> dt.datetime:
    """The time that splits the log: the earlier ``fraction`` of the reviews (by time) are before it."""
    times = sorted(r.at for r in reviews)
    return times[min(len(times) - 1, int(len(times) * fraction))]


@dataclasses.dataclass(frozen=True)
class Metrics:
    """How well predicted recall matches what happened (the srs-benchmark's measures)."""

    reviews: int
    log_loss: float
    rmse_bins: float
    auc: float | None  # None when every review was recalled (or none was)
    calibration: list[dict[str, float]]  # per non-empty bin: predicted (mean), observed (mean), count

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def evaluate(pairs: Sequence[tuple[float, int]]) -> Metrics:
    """Log loss, RMSE over ``BINS`` equal-width bins of predicted recall (weighted by count), AUC
    (Mann-Whitney, ties count half) and the calibration bins of (prediction, outcome) pairs."""
    if not pairs:
        raise ValueError("no reviews to evaluate")
    n = len(pairs)
    loss = 0.0
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for p, y in pairs:
        q = min(max(p, _EPS), 1 - _EPS)
        loss -= y * math.log(q) + (1 - y) * math.log(1 - q)
        b = sums[min(int(p * BINS), BINS - 1)]
        b[0] += p
        b[1] += y
        b[2] += 1
    calibration = [
        {"predicted": s[0] / s[2], "observed": s[1] / s[2], "count": s[2]} for _, s in sorted(sums.items())
    ]
    rmse = math.sqrt(sum(c["count"] * (c["predicted"] - c["observed"]) ** 2 for c in calibration) / n)
    return Metrics(n, loss / n, rmse, _auc(pairs), calibration)


def _auc(pairs: Sequence[tuple[float, int]]) -> float | None:
    positives = sum(y for _, y in pairs)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        return None
    ordered = sorted(pairs)
    rank_sum = 0.0
    i = 0
    while i < len(ordered):  # average ranks over ties
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        rank = (i + 1 + j) / 2
        rank_sum += rank * sum(y for _, y in ordered[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def fit(reviews: Sequence[Review], *, on_epoch: Callable[[int], None] | None = None) -> list[float]:
    """py-fsrs's optimizer on ``reviews`` (its defaults come back below ``MIN_REVIEWS`` scored reviews).
    ``on_epoch(k)`` is called after each of its epochs."""
    from fsrs.optimizer import Optimizer

    class _Optimizer(Optimizer):  # type: ignore[misc,valid-type]
        """The optimizer computes its whole-log loss once per epoch to keep the best epoch: the same
        loss on plain floats (no autograd graph), which also reports the epoch."""

        epochs = 0

        def _compute_batch_loss(self, *, parameters: list[float]) -> float:
            pairs = predictions(reviews, parameters)
            self.epochs += 1
            if on_epoch is not None:
                on_epoch(self.epochs)
            return evaluate(pairs).log_loss

    logs = [
        FsrsReviewLog(
            card_id=r.card, rating=Rating(r.rating), review_datetime=r.at, review_duration=r.duration_ms
        )
        for r in reviews
    ]
    return [float(x) for x in _Optimizer(logs).compute_optimal_parameters()]


# -- workload simulation (retention advice) ----------------------------------------------------------------


def workload(
    reviews: Sequence[Review],
    parameters: Sequence[float],
    *,
    retentions: Sequence[float],
    cards_per_day: float,
    days: int = 365,
    seed: int = 42,
) -> list[dict[str, float]]:
    """Simulated daily workload for each desired retention: ``cards_per_day`` new cards a day for ``days``
    days (``SIMULATED_CARDS`` of them followed, spread over the period, and scaled), recall drawn from FSRS's forgetting curve with ``parameters`` at each due date, ratings and
    seconds per review drawn from the learner's own log (first ratings and later ones apart).

    Returns per retention: reviews per day, minutes per day and cards remembered at the end (the sum of
    each card's retrievability on the last day)."""
    first, later = _rating_profile(reviews)
    new_total = max(1, round(cards_per_day * days))
    sample = min(new_total, SIMULATED_CARDS)
    scale = new_total / sample  # each simulated card stands for this many
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=days)
    out = []
    for retention in retentions:
        rng = random.Random(seed)
        scheduler = Scheduler(parameters=tuple(parameters), desired_retention=retention, enable_fuzzing=False)
        n_reviews = 0
        seconds = 0.0
        memory = 0.0
        for i in range(sample):
            when = start + dt.timedelta(days=days * i / sample)
            card = Card(card_id=i + 1, due=when)
            rating, secs = _draw(rng, first)
            while True:
                n_reviews += 1
                seconds += secs
                card, _ = scheduler.review_card(card, Rating(rating), review_datetime=when)
                when = max(card.due, when + dt.timedelta(minutes=1))
                if when >= end:
                    break
                recalled = rng.random() < float(
                    scheduler.get_card_retrievability(card, current_datetime=when)
                )
                rating, secs = _draw(rng, later) if recalled else (1, later[1][1])
            memory += float(scheduler.get_card_retrievability(card, current_datetime=end))
        out.append(
            {
                "retention": retention,
                "reviews_per_day": n_reviews * scale / days,
                "minutes_per_day": seconds * scale / 60 / days,
                "remembered": memory * scale,
            }
        )
    return out


def _rating_profile(
    reviews: Sequence[Review],
) -> tuple[dict[int, tuple[float, float]], dict[int, tuple[float, float]]]:
    """Per rating, (share, mean seconds) among first reviews and among later recalled reviews; Again of later
    reviews keeps its own seconds (its share is not used: recall is drawn from the forgetting curve)."""
    first: dict[int, list[float]] = defaultdict(list)
    later: dict[int, list[float]] = defaultdict(list)
    for history in _by_card(reviews).values():
        for i, r in enumerate(history):
            secs = (r.duration_ms or 0) / 1000
            (first if i == 0 else later)[r.rating].append(secs)

    def profile(groups: dict[int, list[float]], ratings: Sequence[int]) -> dict[int, tuple[float, float]]:
        total = sum(len(groups[k]) for k in ratings) or 1
        return {
            k: (len(groups[k]) / total, sum(groups[k]) / len(groups[k]) if groups[k] else 0.0)
            for k in ratings
        }

    f = profile(first, (1, 2, 3, 4))
    recalled = profile(later, (2, 3, 4))
    recalled[1] = (0.0, profile(later, (1,))[1][1])
    return f, recalled


def _draw(rng: random.Random, profile: dict[int, tuple[float, float]]) -> tuple[int, float]:
    ratings = [k for k, (share, _) in profile.items() if share > 0] or list(profile)
    weights = [profile[k][0] or 1.0 for k in ratings]
    k = rng.choices(ratings, weights=weights)[0]
    return k, profile[k][1]
