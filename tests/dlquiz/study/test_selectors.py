"""The study loop's reads: the queue's order and daily limits per local day, interval previews, today's
counts, new cards beyond the limit, cards to practise, and settings that are read without being written."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import CardState, ReviewLog, StudySettings
from dlquiz.study.selectors import (
    practice_cards,
    settings_get,
    study_day_bounds,
    study_extra_new,
    study_queue,
    today_counts,
)
from dlquiz.study.services import card_suspend, review_submit, settings_update
from tests.factories import enrolled_user, make_deck, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, 19:00 (previous day) in Los Angeles


def test_queue_order_learning_then_reviews_by_due_then_new():
    user, _, cards = enrolled_user(6, new_per_day=10)
    c = cards
    review_submit(user=user, card_id=c[0].id, rating=4, client_review_id=rid(), now=T0)  # review, due in days
    review_submit(
        user=user, card_id=c[1].id, rating=4, client_review_id=rid(), now=T0 + dt.timedelta(hours=1)
    )
    review_submit(
        user=user, card_id=c[2].id, rating=1, client_review_id=rid(), now=T0
    )  # learning, due +1 min
    dues = {cid: CardState.objects.get(user=user, card_id=cid).due for cid in (c[0].id, c[1].id)}
    when = max(dues.values()) + dt.timedelta(hours=2)
    items, _ = study_queue(user=user, now=when, limit=10)
    order = [(i.queue, i.state.card_id) for i in items]
    assert order[0] == ("learning", c[2].id)
    reviews = [cid for q, cid in order if q == "review"]
    assert reviews == sorted(dues, key=lambda cid: (dues[cid], cid))
    assert [cid for q, cid in order if q == "new"] == [c[3].id, c[4].id, c[5].id]
    assert [q for q, _ in order] == sorted([q for q, _ in order], key=["learning", "review", "new"].index)


def test_new_cards_per_day_count_per_local_day_in_each_timezone():
    for tz, day_start_utc in (
        ("Asia/Shanghai", dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC)),
        ("America/Los_Angeles", dt.datetime(2026, 3, 10, 11, tzinfo=dt.UTC)),
    ):
        user, _, cards = enrolled_user(6, tz=tz, new_per_day=2, day_start_hour=4)
        start, end = study_day_bounds(prefs=user.study_settings, now=day_start_utc - dt.timedelta(minutes=1))
        assert end == day_start_utc
        t = day_start_utc - dt.timedelta(minutes=30)
        for card in cards[:2]:
            review_submit(user=user, card_id=card.id, rating=3, client_review_id=rid(), now=t)
        # no new card left today; the two learning cards (due in 9 min) are shown early: nothing else is left
        learn = [i.queue for i in study_queue(user=user, now=t + dt.timedelta(minutes=1))[0]]
        assert learn == ["learning", "learning"]
        # one minute before the local day starts: still no new cards; learning cards come back when due
        items, today = study_queue(user=user, now=day_start_utc - dt.timedelta(seconds=1))
        assert today.new_left == 0 and [i.queue for i in items if i.queue == "new"] == []
        items, today = study_queue(user=user, now=day_start_utc)
        assert today.new_done == 0 and today.new_left == 2
        assert [i.queue for i in items].count("new") == 2


def test_review_limit_per_day_caps_review_cards():
    user, _, cards = enrolled_user(4, max_reviews_per_day=2, new_per_day=0)
    for card in cards:
        review_submit(user=user, card_id=card.id, rating=4, client_review_id=rid(), now=T0)
    later = T0 + dt.timedelta(days=60)
    items, today = study_queue(user=user, now=later)
    assert [i.queue for i in items] == ["review", "review"] and today.reviews_left == 2
    review_submit(user=user, card_id=items[0].state.card_id, rating=3, client_review_id=rid(), now=later)
    items, today = study_queue(user=user, now=later + dt.timedelta(seconds=1))
    assert today.reviews_done == 1 and len([i for i in items if i.queue == "review"]) == 1


def test_queue_interval_preview_equals_the_review_result():
    user, _, cards = enrolled_user(4)
    for card in cards:
        review_submit(user=user, card_id=card.id, rating=4, client_review_id=rid(), now=T0)
    later = T0 + dt.timedelta(days=40)
    items, _ = study_queue(user=user, now=later)
    assert len(items) == 4
    for item, rating in zip(items, (1, 2, 3, 4), strict=True):
        review_submit(user=user, card_id=item.state.card_id, rating=rating, client_review_id=rid(), now=later)
        due = CardState.objects.get(user=user, card_id=item.state.card_id).due
        assert (due - later).total_seconds() == item.intervals[rating]


def test_time_travel_across_a_day_boundary_with_the_real_clock():
    user, _, cards = enrolled_user(3, tz="America/Los_Angeles", new_per_day=1, day_start_hour=0)
    la = ZoneInfo("America/Los_Angeles")
    with time_machine.travel(dt.datetime(2026, 7, 1, 23, 50, tzinfo=la), tick=False):
        items, _ = study_queue(user=user, now=timezone.now())
        review_submit(
            user=user, card_id=items[0].state.card_id, rating=4, client_review_id=rid(), now=timezone.now()
        )
        assert study_queue(user=user, now=timezone.now())[0] == []
    with time_machine.travel(dt.datetime(2026, 7, 2, 0, 10, tzinfo=la), tick=False):
        items, today = study_queue(user=user, now=timezone.now())
        assert [i.queue for i in items] == ["new"] and today.new_done == 0


def test_today_counts_only_today():
    user, _, cards = enrolled_user(3)
    review_submit(
        user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0 - dt.timedelta(days=1)
    )
    review_submit(user=user, card_id=cards[1].id, rating=3, client_review_id=rid(), now=T0)
    t = today_counts(user=user, prefs=user.study_settings, now=T0)
    assert (t.new_done, t.total_done, t.new_left) == (1, 1, 19)


def test_settings_are_read_without_writing_a_row():
    admin = get_user_model().objects.create_user("admin-made", password="x")  # not through sign-up
    prefs = settings_get(user=admin)
    assert prefs.pk is None and prefs.new_per_day == 20 and prefs.timezone == "Asia/Shanghai"
    assert not StudySettings.objects.filter(user=admin).exists()
    assert study_queue(user=admin, now=T0) == ([], today_counts(user=admin, prefs=prefs, now=T0))
    assert not StudySettings.objects.filter(user=admin).exists()
    # the first change stores them
    assert settings_update(user=admin, new_per_day=3).pk is not None
    assert StudySettings.objects.get(user=admin).new_per_day == 3


def test_extra_new_cards_come_past_the_daily_limit_in_introduction_order():
    user, _, cards = enrolled_user(5, new_per_day=1)
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    card_suspend(user=user, card_id=cards[2].id)
    later = T0 + dt.timedelta(seconds=1)
    # the day's new card is done (it is shown early as a learning card: nothing else is left)
    assert [i.queue for i in study_queue(user=user, now=later)[0]] == ["learning"]
    items = study_extra_new(user=user, now=later, limit=2)
    assert [(i.queue, i.state.card_id) for i in items] == [("new", cards[1].id), ("new", cards[3].id)]
    # each with the same interval preview as the queue would give it
    tomorrow = {i.state.card_id: i for i in study_queue(user=user, now=later + dt.timedelta(days=1))[0]}
    assert tomorrow[cards[1].id].queue == "new" and tomorrow[cards[1].id].intervals == items[0].intervals


def test_practice_cards_are_studied_ones_first_then_new_ones_of_the_deck():
    user, deck, cards = enrolled_user(4)
    deck_enroll(user=user, deck=make_deck(2))
    for card in cards[:2]:
        review_submit(user=user, card_id=card.id, rating=3, client_review_id=rid(), now=T0)
    picked = practice_cards(user=user, now=T0, limit=3, deck=deck.id)
    assert {s.card_id for s in picked[:2]} == {cards[0].id, cards[1].id}
    assert picked[2].card_id in {cards[2].id, cards[3].id}
    assert len(practice_cards(user=user, now=T0, limit=50)) == 6
    assert (
        ReviewLog.objects.filter(user=user).count() == 2
        and CardState.objects.get(user=user, card=cards[2]).reps == 0
    )


@pytest.mark.parametrize("n_cards", [5, 60])
def test_extra_new_costs_the_same_queries_and_fsrs_steps_whatever_the_number_of_cards(
    n_cards, django_assert_num_queries, monkeypatch
):
    """Regression (issue 9, under load): extra-new ran FSRS four times per card it returned; its queries
    and its FSRS steps stay constant however many new cards the learner has and the page holds."""
    from dlquiz.study import scheduling

    user, _, cards = enrolled_user(n_cards)
    user = get_user_model().objects.select_related("study_settings").get(pk=user.pk)
    steps = []
    real = scheduling._schedule
    monkeypatch.setattr(scheduling, "_schedule", lambda *a, **k: steps.append(1) or real(*a, **k))
    # the new cards' order (their light columns, StudySettings.new_card_order), then the page's cards with
    # their card and deck
    with django_assert_num_queries(2):
        items = study_extra_new(user=user, now=T0, limit=200)
    assert [i.state.card_id for i in items] == [c.id for c in cards]
    assert len(steps) == 4
    assert all(
        i.intervals
        == scheduling.preview(
            scheduling.MemoryState(),
            now=T0,
            scheduler=scheduling.scheduler_for(user.study_settings),
            seed=scheduling.review_seed(user_id=user.pk, card_id=i.state.card_id, reps=0),
        )
        for i in items
    )
