"""A review log simulated from known FSRS parameters: recall drawn from FSRS's forgetting curve (written out
here, not taken from the code under test) with those parameters."""

from __future__ import annotations

import datetime as dt
import random

from fsrs import Card, Rating, Scheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

#: far from py-fsrs's defaults: high initial stabilities, slow growth after Good, steep forgetting
TRUE_PARAMETERS = list(DEFAULT_PARAMETERS)
TRUE_PARAMETERS[0:4] = [1.5, 4.0, 9.0, 25.0]
TRUE_PARAMETERS[8] = 1.0
TRUE_PARAMETERS[20] = 0.5

START = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)


def recall_probability(elapsed_days: float, stability: float, decay: float) -> float:
    """FSRS-6's forgetting curve: R = (1 + f * t / S) ** -decay with f = 0.9 ** (-1 / decay) - 1."""
    factor = 0.9 ** (-1 / decay) - 1
    return (1 + factor * elapsed_days / stability) ** -decay


def simulate(cards: int, reviews_per_card: int, *, seed: int = 7) -> list[tuple[int, int, dt.datetime, int]]:
    """(card id, rating, time, duration ms) rows, each card starting on a day of the first month and reviewed
    at 0.3 to 2.5 times FSRS's interval (at most 120 days) each time, so recall spans the curve."""
    rng = random.Random(seed)
    truth = Scheduler(
        parameters=TRUE_PARAMETERS, enable_fuzzing=False, learning_steps=(), relearning_steps=()
    )
    rows = []
    for c in range(cards):
        when = START + dt.timedelta(days=rng.randrange(30), minutes=rng.randrange(600))
        card = Card(card_id=c + 1)
        rating = rng.choice([Rating.Again, Rating.Good, Rating.Good, Rating.Easy])
        for _ in range(reviews_per_card):
            rows.append((1_700_000_000_000 + c, int(rating), when, rng.randrange(2000, 20000)))
            card, _ = truth.review_card(card, rating, review_datetime=when)
            interval = min(max(1.0, card.stability) * rng.uniform(0.3, 2.5), 120.0)
            when = when + dt.timedelta(days=max(1, round(interval)), minutes=rng.randrange(-60, 60))
            p = recall_probability(
                (when - card.last_review).total_seconds() / 86400, card.stability, TRUE_PARAMETERS[20]
            )
            rating = (
                rng.choice([Rating.Hard, Rating.Good, Rating.Good, Rating.Easy])
                if rng.random() < p
                else Rating.Again
            )
    return rows


def csv_text(rows) -> str:
    lines = ["card_id,review_rating,review_time,review_duration"]
    lines += [f"{c},{r},{t.isoformat()},{d}" for c, r, t, d in rows]
    return "\n".join(lines) + "\n"
