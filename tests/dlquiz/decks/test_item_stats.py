"""Item statistics for editors: counts, again rate and its flag, lapses, learners, mean retrievability
at review (FSRS's forgetting curve, computed here by hand), exercise mistakes and unreadable input; and
the exercise card check action."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from fsrs import Scheduler

from dlquiz.decks.item_stats import card_stats
from dlquiz.decks.models import Card
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study.models import ReviewLog, State
from dlquiz.study.scheduling import MemoryState
from tests.factories import make_deck, make_user

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
_ids = itertools.count()


def _log(card, user, *, rating, prior=State.NEW, stability=None, days=5):
    before = (
        MemoryState()
        if prior == State.NEW
        else MemoryState(
            state=prior, stability=stability, difficulty=5.0, due=T0, last_review=T0, reps=3, lapses=0
        )
    )
    ReviewLog.objects.create(
        user=user,
        card=card,
        rating=rating,
        reviewed_at=T0 + dt.timedelta(days=days),
        client_review_id=f"r{next(_ids)}",
        state_before=before.to_json(),
        state_after=before.to_json(),
        prior_state=prior,
    )


def _fsrs_r(days: float, stability: float) -> float:
    """FSRS-6's forgetting curve R(t, S) = (1 + F t / S)^-w20 with F = 0.9^(-1/w20) - 1 (R(S, S) = 0.9)."""
    w20 = Scheduler().parameters[20]
    factor = 0.9 ** (-1 / w20) - 1
    return (1 + factor * days / stability) ** -w20


@pytest.fixture
def reviewed():
    deck = make_deck(2)
    hard, easy = deck.cards.order_by("position")
    a, b = make_user(), make_user()
    # hard: 10 reviews by 2 learners, 6 Again (2 of them lapses, from review at S=10 after 5 and 20 days)
    _log(hard, a, rating=1, prior=State.REVIEW, stability=10.0, days=5)
    _log(hard, b, rating=1, prior=State.REVIEW, stability=10.0, days=20)
    for i in range(8):
        _log(hard, a if i % 2 else b, rating=1 if i < 4 else 3)
    for _ in range(30):  # easy: 30 Good by one learner
        _log(easy, a, rating=3)
    ReviewLog.objects.create(  # a reset is not a review
        user=a,
        card=hard,
        kind=ReviewLog.Kind.RESET,
        rating=0,
        reviewed_at=T0,
        client_review_id="reset",
        state_before={},
        state_after={},
        prior_state=State.REVIEW,
    )
    return hard, easy


def test_card_stats_by_hand(reviewed):
    hard, easy = reviewed
    stats = card_stats([hard, easy])
    h, e = stats[hard.pk], stats[easy.pk]
    assert (h.reviews, h.again, h.lapses, h.learners) == (10, 6, 2, 2)
    assert h.again_rate == 0.6 and h.deck_again_rate == 6 / 40
    assert h.retrievability == pytest.approx((_fsrs_r(5, 10) + _fsrs_r(20, 10)) / 2, rel=1e-9)
    assert _fsrs_r(10, 10) == pytest.approx(0.9)  # the hand formula itself: R(S) = 90 %
    assert h.flagged  # 60 % >= 2 x 15 % and >= 15 % + 15 points, 10 reviews
    assert (e.reviews, e.again, e.learners, e.retrievability, e.flagged) == (30, 0, 1, None, False)


def test_list_columns_and_the_flag_filter(client, django_user_model, reviewed):
    hard, easy = reviewed
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw-123456789"))
    page = client.get("/admin/decks/card/", {"again": "far-above-deck"})
    assert [c.uid for c in page.context["cl"].result_list] == [hard.uid]
    row = page.context["cl"].result_list[0]
    assert (row.n_reviews, row.n_again, row.n_lapses, row.n_learners) == (10, 6, 2, 2)
    assert row.item_stats.flagged
    html = page.content.decode()
    assert "60%" in html
    # column 5 counting the action checkbox: reviews, most first
    page = client.get("/admin/decks/card/", {"reviewed": "10", "o": "-5"})
    assert [c.uid for c in page.context["cl"].result_list] == [easy.uid, hard.uid]
    detail = client.get(f"/admin/decks/card/{hard.pk}/change/")
    assert detail.context["item_stats"].lapses == 2
    assert "far above the deck" in detail.content.decode()


def test_exercise_mistakes_and_unreadable_rate(client, django_user_model):
    deck = make_deck(1, kind="exercise", family="conv2d_output_size")
    ex = deck.cards.get()
    users = [make_user() for _ in range(4)]
    results = [("conv.a", "忘了乘 2"), ("conv.a", "忘了乘 2"), ("conv.b", "忘了加 1"), None]
    for i, (user, mistake) in enumerate(zip(users, results, strict=True)):
        ExerciseAttempt.objects.create(
            user=user,
            card=ex,
            review_number=0,
            family=ex.family,
            family_version=1,
            seed=i,
            params={},
            result={"mistake": {"id": mistake[0], "title": mistake[1]} if mistake else None},
            graded_at=T0,
            unreadable_count=[1, 0, 2, 0][i],
        )
    ExerciseAttempt.objects.create(  # still open after 1 unreadable submission
        user=users[0],
        card=ex,
        review_number=1,
        family=ex.family,
        family_version=1,
        seed=9,
        params={},
        unreadable_count=1,
    )
    s = card_stats([ex])[ex.pk]
    assert s.attempts == 4 and s.unreadable == 4 and s.unreadable_rate == 0.5
    assert s.mistakes == [("conv.a", "忘了乘 2", 2), ("conv.b", "忘了加 1", 1)]
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw-123456789"))
    html = client.get(f"/admin/decks/card/{ex.pk}/change/").content.decode()
    assert "忘了乘 2 (<code>conv.a</code>) × 2" in html
    assert 'id="exercise-variants"' in html and 'type="application/json"' in html


def test_check_exercise_cards_action_reports_each_card(client, django_user_model):
    deck = make_deck(2, kind="exercise", family="conv2d_output_size")
    good, narrowed = deck.cards.order_by("position")
    narrowed.params = {"size": [4000, 5000]}  # no variant of the family fits: the check must say so
    narrowed.save()
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.com", "pw-123456789"))
    page = client.post(
        "/admin/decks/card/",
        {"action": "check_exercise_cards", "_selected_action": [good.pk, narrowed.pk]},
        follow=True,
    )
    msgs = {m.message.split(":")[0]: m for m in page.context["messages"]}
    ok = msgs[good.uid]
    assert ok.level_tag == "success"
    assert ok.message.startswith(f"{good.uid}: 8 variants, 8 own answers, ")
    assert "named mistakes, 100 random inputs: all as expected" in ok.message
    bad = msgs[narrowed.uid]
    assert bad.level_tag == "error" and "lies outside the card's params" in bad.message
    # the card page's button runs the same check
    page = client.post(f"/admin/decks/card/{good.pk}/check/", follow=True)
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    assert client.get(f"/admin/decks/card/{good.pk}/check/").status_code == 405
    assert Card.objects.get(pk=narrowed.pk).params == {"size": [4000, 5000]}  # a check writes nothing
