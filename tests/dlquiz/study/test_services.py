"""The study loop's services: review, idempotency, undo, suspend/bury/reset, replay, settings."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from dlquiz.errors import Conflict, NotFound, ServiceError
from dlquiz.study import scheduling
from dlquiz.study.models import CardState, ReviewLog, State
from dlquiz.study.scheduling import MemoryState
from dlquiz.study.selectors import study_queue
from dlquiz.study.services import (
    card_bury,
    card_reset,
    card_state_replay,
    card_suspend,
    review_submit,
    review_undo,
    settings_update,
)
from tests.factories import enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, 19:00 (previous day) in Los Angeles


def _state(user, card):
    return scheduling.memory_of(CardState.objects.get(user=user, card=card))


def test_review_twice_counts_once_and_returns_first_result():
    user, _, cards = enrolled_user(2)
    key = rid()
    first = review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=key, now=T0)
    again = review_submit(
        user=user, card_id=cards[0].id, rating=3, client_review_id=key, now=T0 + dt.timedelta(seconds=5)
    )
    assert first.created and not again.created
    assert again.log.pk == first.log.pk and again.log.state_after == first.log.state_after
    assert ReviewLog.objects.filter(user=user).count() == 1
    assert _state(user, cards[0]).reps == 1


def test_same_client_id_for_another_card_is_a_conflict_and_writes_nothing():
    user, _, cards = enrolled_user(2)
    key = rid()
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=key, now=T0)
    before = _state(user, cards[1])
    with pytest.raises(Conflict):
        review_submit(user=user, card_id=cards[1].id, rating=3, client_review_id=key, now=T0)
    assert _state(user, cards[1]) == before and ReviewLog.objects.count() == 1


@pytest.mark.parametrize("rating", [0, 5, -1])
def test_invalid_rating_writes_nothing(rating):
    user, _, cards = enrolled_user(1)
    with pytest.raises(ServiceError):
        review_submit(user=user, card_id=cards[0].id, rating=rating, client_review_id=rid(), now=T0)
    assert ReviewLog.objects.count() == 0 and _state(user, cards[0]).reps == 0


def test_other_learners_card_is_not_found():
    owner, _, cards = enrolled_user(1)
    other = make_user()
    with pytest.raises(NotFound):
        review_submit(user=other, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    assert ReviewLog.objects.count() == 0


def test_reviewed_at_in_the_future_or_before_last_review_is_refused():
    user, _, cards = enrolled_user(1)
    with pytest.raises(ServiceError):
        review_submit(
            user=user,
            card_id=cards[0].id,
            rating=3,
            client_review_id=rid(),
            now=T0,
            reviewed_at=T0 + dt.timedelta(hours=1),
        )
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    with pytest.raises(Conflict):
        review_submit(
            user=user,
            card_id=cards[0].id,
            rating=3,
            client_review_id=rid(),
            now=T0,
            reviewed_at=T0 - dt.timedelta(hours=1),
        )
    assert ReviewLog.objects.count() == 1


def test_offline_review_uses_the_clients_time():
    user, _, cards = enrolled_user(1)
    when = T0 - dt.timedelta(hours=3)
    out = review_submit(
        user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0, reviewed_at=when
    )
    assert out.log.reviewed_at == when
    assert _state(user, cards[0]).due == when + dt.timedelta(minutes=10)


def test_undo_restores_the_exact_previous_state_and_removes_the_log():
    user, _, cards = enrolled_user(1)
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    review_submit(
        user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0 + dt.timedelta(minutes=11)
    )
    middle = _state(user, cards[0])
    review_submit(
        user=user, card_id=cards[0].id, rating=1, client_review_id=rid(), now=T0 + dt.timedelta(days=3)
    )
    undone = review_undo(user=user)
    assert undone.rating == 1
    assert _state(user, cards[0]) == middle
    assert ReviewLog.objects.filter(user=user).count() == 2
    review_undo(user=user)
    review_undo(user=user)
    assert _state(user, cards[0]) == MemoryState()
    with pytest.raises(NotFound):
        review_undo(user=user)


def test_undo_only_touches_the_learners_own_last_review():
    a, _, cards_a = enrolled_user(1)
    b, _, cards_b = enrolled_user(1)
    review_submit(user=a, card_id=cards_a[0].id, rating=3, client_review_id=rid(), now=T0)
    review_submit(
        user=b, card_id=cards_b[0].id, rating=3, client_review_id=rid(), now=T0 + dt.timedelta(seconds=1)
    )
    review_undo(user=a)
    assert _state(a, cards_a[0]).reps == 0 and _state(b, cards_b[0]).reps == 1


def test_replay_reproduces_the_stored_state_over_a_random_history():
    user, _, cards = enrolled_user(3)
    rng = random.Random(5)
    t = T0
    for _ in range(60):
        card = rng.choice(cards)
        action = rng.random()
        if action < 0.08:
            card_reset(user=user, card_id=card.id, now=t, client_review_id=rid())
        elif action < 0.15 and ReviewLog.objects.filter(user=user).exists():
            review_undo(user=user)
        else:
            review_submit(
                user=user, card_id=card.id, rating=rng.choice([1, 2, 3, 3, 4]), client_review_id=rid(), now=t
            )
        t += dt.timedelta(minutes=rng.choice([1, 15, 60 * 20, 60 * 24 * 4]))
    for card in cards:
        assert card_state_replay(user=user, card_id=card.id) == _state(user, card)
    assert ReviewLog.objects.filter(user=user).count() > 30


def test_suspended_card_leaves_the_queue_and_refuses_reviews():
    user, _, cards = enrolled_user(2)
    card_suspend(user=user, card_id=cards[0].id)
    items, _ = study_queue(user=user, now=T0)
    assert [i.state.card_id for i in items] == [cards[1].id]
    with pytest.raises(Conflict):
        review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    card_suspend(user=user, card_id=cards[0].id, suspended=False)
    assert len(study_queue(user=user, now=T0)[0]) == 2


def test_buried_card_comes_back_at_the_next_study_day():
    user, _, cards = enrolled_user(2, day_start_hour=4)  # Shanghai: T0 is 10:00 local
    card_bury(user=user, card_id=cards[0].id, now=T0)
    assert [i.state.card_id for i in study_queue(user=user, now=T0)[0]] == [cards[1].id]
    # next study day starts 04:00 Shanghai on 11 March = 20:00 UTC on 10 March
    assert [
        i.state.card_id
        for i in study_queue(user=user, now=dt.datetime(2026, 3, 10, 19, 59, tzinfo=dt.UTC))[0]
    ] == [cards[1].id]
    assert len(study_queue(user=user, now=dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC))[0]) == 2


def test_reset_returns_card_to_new_and_is_logged():
    user, _, cards = enrolled_user(1)
    review_submit(user=user, card_id=cards[0].id, rating=4, client_review_id=rid(), now=T0)
    card_reset(user=user, card_id=cards[0].id, now=T0 + dt.timedelta(hours=1), client_review_id=rid())
    assert _state(user, cards[0]) == MemoryState()
    assert list(ReviewLog.objects.values_list("kind", flat=True).order_by("id")) == ["review", "reset"]
    review_undo(user=user)
    assert _state(user, cards[0]).state == State.REVIEW


def test_settings_update_validates_and_changes_nothing_on_error():
    user = make_user()
    with pytest.raises(ServiceError):
        settings_update(user=user, timezone="Mars/Olympus", new_per_day=5)
    user.study_settings.refresh_from_db()
    assert user.study_settings.new_per_day == 20
    prefs = settings_update(user=user, new_per_day=7, learning_steps=[2, 20])
    assert prefs.new_per_day == 7 and prefs.learning_steps == [2, 20]
