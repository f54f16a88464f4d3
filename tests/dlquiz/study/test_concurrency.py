"""Concurrent submissions on the real PostgreSQL, each from its own connection."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.scheduling import MemoryState
from dlquiz.study.services import card_state_replay, review_submit
from tests.factories import enrolled_user, race, rid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def _race(fns):
    return race(fns, timeout=30)


def test_two_concurrent_reviews_of_one_card_serialise_and_match_replay():
    user, _, cards = enrolled_user(1)
    card = cards[0]
    for round_ in range(5):
        fns = [
            lambda r=r, k=round_: review_submit(
                user=user,
                card_id=card.id,
                rating=r,
                client_review_id=rid(),
                now=T0 + dt.timedelta(minutes=k * 30),
            )
            for r in (1, 3)
        ]
        results, errors = _race(fns)
        assert errors == [] and all(r.created for r in results)
    logs = list(ReviewLog.objects.filter(user=user).order_by("id"))
    assert len(logs) == 10
    # each review started from the state the previous one left: the log is a chain
    for prev, nxt in zip(logs, logs[1:]):
        assert nxt.state_before == prev.state_after
    stored = scheduling.memory_of(CardState.objects.get(user=user, card=card))
    assert (
        stored == MemoryState.from_json(logs[-1].state_after) == card_state_replay(user=user, card_id=card.id)
    )
    assert stored.reps == 10


def test_the_same_client_review_id_sent_concurrently_records_one_review():
    user, _, cards = enrolled_user(1)
    key = rid()
    fns = [lambda: review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=key, now=T0)] * 4
    results, errors = _race(fns)
    assert errors == []
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert len({r.log.pk for r in results}) == 1
    assert ReviewLog.objects.filter(user=user).count() == 1
    assert CardState.objects.get(user=user, card=cards[0]).reps == 1


def _undos_race_reviews(start: dt.datetime) -> None:
    from dlquiz.study.services import review_undo

    user, _, cards = enrolled_user(1)
    card = cards[0]
    for k in range(10):  # something to undo
        review_submit(
            user=user, card_id=card.id, rating=3, client_review_id=rid(), now=start + dt.timedelta(minutes=k)
        )
    later = start + dt.timedelta(hours=1)
    reviews = [
        lambda r=r: review_submit(user=user, card_id=card.id, rating=r, client_review_id=rid(), now=later)
        for r in (1, 2, 3, 4, 1, 2, 3, 4, 3, 3)
    ]
    results, errors = _race(reviews + [lambda: review_undo(user=user)] * 10)
    assert errors == []
    logs = list(ReviewLog.objects.filter(user=user).order_by("id"))
    assert len(logs) == 10  # 10 + 10 reviews - 10 undos
    assert MemoryState.from_json(logs[0].state_before) == MemoryState()
    for prev, nxt in zip(logs, logs[1:]):
        assert nxt.state_before == prev.state_after
    stored = scheduling.memory_of(CardState.objects.get(user=user, card=card))
    assert (
        stored == MemoryState.from_json(logs[-1].state_after) == card_state_replay(user=user, card_id=card.id)
    )


@pytest.mark.parametrize("trial", range(6))
def test_undos_racing_reviews_of_one_card_keep_the_chain_and_match_replay(trial):
    """Regression: undo locked the log row and then the card state, submit the card state and then the log,
    so an undo could restore a state from before a review that committed while it waited (4 of 6 trials)."""
    _undos_race_reviews(T0 + dt.timedelta(days=trial))
