"""Item statistics of cards for editors (the admin's card list and card page): how each card performs.

Reads only. From the review log (``kind=review`` rows): reviews, again rate (share of reviews rated
Again), lapses (Again on a card that was in review), learners, and the mean FSRS retrievability at the
moment of review (the memory state before the review, each learner's own scheduler; reviews of new
cards have none). From exercise attempts: graded attempts, the most frequent named mistakes and the
unreadable-input rate (unreadable submissions over unreadable submissions plus graded attempts).

A card is *flagged* when its again rate is far above its deck's:
at least ``FLAG_MIN_REVIEWS`` reviews, and an again rate at least ``FLAG_RATIO`` times the deck's and at
least ``FLAG_MARGIN`` above it (both, so a hard deck's cards and a tiny sample are not flagged).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum

from dlquiz.decks.models import Card
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study import scheduling
from dlquiz.study.models import ReviewLog, State, StudySettings

__all__ = [
    "FLAG_MARGIN",
    "FLAG_MIN_REVIEWS",
    "FLAG_RATIO",
    "ItemStats",
    "card_stats",
    "deck_again_rates",
    "flagged_card_ids",
    "is_flagged",
    "review_counts",
]

AGAIN = 1
FLAG_MIN_REVIEWS = 10
FLAG_RATIO = 2.0
FLAG_MARGIN = 0.15
TOP_MISTAKES = 3


@dataclass
class ItemStats:
    reviews: int = 0
    again: int = 0
    lapses: int = 0
    learners: int = 0
    retrievability: float | None = None  # mean at review, over reviews of cards already learnt
    attempts: int = 0  # graded exercise attempts
    unreadable: int = 0  # unreadable exercise submissions
    mistakes: list[tuple[str, str, int]] = field(default_factory=list)  # (id, title, count), most first
    deck_again_rate: float | None = None
    flagged: bool = False

    @property
    def again_rate(self) -> float | None:
        return self.again / self.reviews if self.reviews else None

    @property
    def unreadable_rate(self) -> float | None:
        total = self.unreadable + self.attempts
        return self.unreadable / total if total else None


def review_counts(cards: QuerySet[Card]) -> QuerySet[Card]:
    """``cards`` annotated with ``n_reviews``, ``n_again``, ``n_lapses`` and ``n_learners`` (sortable
    list columns: one join of the review log)."""
    review = Q(review_logs__kind=ReviewLog.Kind.REVIEW)
    again = review & Q(review_logs__rating=AGAIN)
    return cards.annotate(
        n_reviews=Count("review_logs", filter=review),
        n_again=Count("review_logs", filter=again),
        n_lapses=Count("review_logs", filter=again & Q(review_logs__prior_state=State.REVIEW)),
        n_learners=Count("review_logs__user", filter=review, distinct=True),
    )


def deck_again_rates(deck_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """``{deck id: (reviews, again)}`` over every card of each deck."""
    rows = (
        ReviewLog.objects.filter(kind=ReviewLog.Kind.REVIEW, card__deck_id__in=list(deck_ids))
        .values("card__deck_id")
        .annotate(n=Count("id"), again=Count("id", filter=Q(rating=AGAIN)))
    )
    return {r["card__deck_id"]: (r["n"], r["again"]) for r in rows}


def is_flagged(*, reviews: int, again: int, deck_reviews: int, deck_again: int) -> bool:
    """The flag rule (module docstring)."""
    if reviews < FLAG_MIN_REVIEWS or not deck_reviews:
        return False
    rate, deck_rate = again / reviews, deck_again / deck_reviews
    return rate >= FLAG_RATIO * deck_rate and rate >= deck_rate + FLAG_MARGIN


def flagged_card_ids(cards: QuerySet[Card]) -> list[int]:
    """The flagged cards among ``cards`` (two grouped queries)."""
    per_card = list(
        ReviewLog.objects.filter(kind=ReviewLog.Kind.REVIEW, card__in=cards)
        .values("card_id", "card__deck_id")
        .annotate(n=Count("id"), again=Count("id", filter=Q(rating=AGAIN)))
        .filter(n__gte=FLAG_MIN_REVIEWS)
    )
    decks = deck_again_rates({r["card__deck_id"] for r in per_card})
    return [
        r["card_id"]
        for r in per_card
        if is_flagged(
            reviews=r["n"],
            again=r["again"],
            deck_reviews=decks.get(r["card__deck_id"], (0, 0))[0],
            deck_again=decks.get(r["card__deck_id"], (0, 0))[1],
        )
    ]


def card_stats(cards: Iterable[Card]) -> dict[int, ItemStats]:
    """Every statistic of each card (a page of the list, or one card): a fixed number of queries."""
    cards = list(cards)
    ids = [c.pk for c in cards]
    out = {pk: ItemStats() for pk in ids}
    if not ids:
        return out
    logs = ReviewLog.objects.filter(kind=ReviewLog.Kind.REVIEW, card_id__in=ids)
    for row in logs.values("card_id").annotate(
        n=Count("id"),
        again=Count("id", filter=Q(rating=AGAIN)),
        lapses=Count("id", filter=Q(rating=AGAIN, prior_state=State.REVIEW)),
        learners=Count("user_id", distinct=True),
    ):
        s = out[row["card_id"]]
        s.reviews, s.again, s.lapses, s.learners = row["n"], row["again"], row["lapses"], row["learners"]
    _retrievability(out, logs.exclude(prior_state=State.NEW))
    _exercises(out, [c.pk for c in cards if c.kind == Card.Kind.EXERCISE])
    decks = deck_again_rates({c.deck_id for c in cards})
    for card in cards:
        s = out[card.pk]
        deck_reviews, deck_again = decks.get(card.deck_id, (0, 0))
        s.deck_again_rate = deck_again / deck_reviews if deck_reviews else None
        s.flagged = is_flagged(
            reviews=s.reviews, again=s.again, deck_reviews=deck_reviews, deck_again=deck_again
        )
    return out


def _retrievability(out: dict[int, ItemStats], logs: QuerySet[ReviewLog]) -> None:
    rows = list(logs.values_list("card_id", "user_id", "reviewed_at", "state_before"))
    prefs = {p.user_id: p for p in StudySettings.objects.filter(user_id__in={r[1] for r in rows})}
    default = StudySettings()
    sums: dict[int, list[float]] = {}
    for card_id, user_id, reviewed_at, before in rows:
        memory = scheduling.MemoryState.from_json(before)
        if memory.stability is None or memory.last_review is None:
            continue
        scheduler = scheduling.scheduler_for(prefs.get(user_id, default))
        r = scheduling.retrievability(memory, at=reviewed_at.astimezone(dt.UTC), scheduler=scheduler)
        sums.setdefault(card_id, []).append(r)
    for card_id, values in sums.items():
        out[card_id].retrievability = sum(values) / len(values)


def _exercises(out: dict[int, ItemStats], ids: list[int]) -> None:
    if not ids:
        return
    attempts = ExerciseAttempt.objects.filter(card_id__in=ids)
    for row in attempts.values("card_id").annotate(
        graded=Count("id", filter=Q(graded_at__isnull=False)), unreadable=Sum("unreadable_count")
    ):
        out[row["card_id"]].attempts = row["graded"]
        out[row["card_id"]].unreadable = row["unreadable"] or 0
    counts: dict[int, Counter[tuple[str, str]]] = {}
    for card_id, result in attempts.filter(graded_at__isnull=False).values_list("card_id", "result"):
        mistake = (result or {}).get("mistake")
        if mistake:
            counts.setdefault(card_id, Counter())[(mistake["id"], mistake["title"])] += 1
    for card_id, counter in counts.items():
        out[card_id].mistakes = [(mid, title, n) for (mid, title), n in counter.most_common(TOP_MISTAKES)]
