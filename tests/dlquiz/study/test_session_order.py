"""The session a learner expects (issue #15): learning cards come back when their step is due (learning ahead
when nothing else is left), the queue says when the next ones come, the new-card orders, the dashboard's due
count agrees with the forecast, and a bury can be undone."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import CardState, State
from dlquiz.study.selectors import dashboard_stats, study_extra_new, study_queue
from dlquiz.study.services import card_bury, card_unbury, review_submit, settings_update
from tests.factories import client_for, enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, the study day runs to 04:00


def test_again_card_comes_back_before_the_remaining_new_cards_once_its_step_is_due():
    user, _, cards = enrolled_user(8, new_per_day=20, learning_steps=[1, 10])
    review_submit(user=user, card_id=cards[0].id, rating=1, client_review_id=rid(), now=T0)
    # 59 s later its one-minute step is not due: the remaining new cards, and nothing said about it
    items, today = study_queue(user=user, now=T0 + dt.timedelta(seconds=59), limit=5)
    assert [i.state.card_id for i in items] == [c.id for c in cards[1:6]]
    assert today.learning_later == 0  # the queue is full: no need to say
    # 60 s later (one minute, the first step) it comes first, before the 7 new cards left
    items, _ = study_queue(user=user, now=T0 + dt.timedelta(seconds=60), limit=20)
    assert [(i.queue, i.state.card_id) for i in items][:2] == [
        ("learning", cards[0].id),
        ("new", cards[1].id),
    ]
    assert len(items) == 8


def test_learn_ahead_only_when_nothing_else_is_left_and_the_queue_says_when_the_rest_comes():
    user, _, cards = enrolled_user(3, new_per_day=20, learning_steps=[1, 10])
    for c in cards:  # Good: every card to its 10-minute step
        review_submit(user=user, card_id=c.id, rating=3, client_review_id=rid(), now=T0)
    review_submit(
        user=user, card_id=cards[2].id, rating=3, client_review_id=rid(), now=T0 + dt.timedelta(minutes=1)
    )
    due = {c.id: CardState.objects.get(user=user, card_id=c.id).due for c in cards}
    assert due[cards[0].id] == T0 + dt.timedelta(minutes=10)  # the step, by hand
    assert due[cards[2].id] - T0 > dt.timedelta(days=1)  # graduated
    # 1 min later nothing is due now; the two cards due in 9 minutes are within the 20-minute window
    items, today = study_queue(user=user, now=T0 + dt.timedelta(minutes=1, seconds=1))
    assert [(i.queue, i.state.card_id) for i in items] == [
        ("learning", cards[0].id),
        ("learning", cards[1].id),
    ]
    assert (today.learning_later, today.learning_next_due) == (0, None)
    # with a 5-minute window they wait, and the queue says: 2 cards, the first at T0 + 10 min
    settings_update(user=user, learn_ahead_minutes=5)
    user.study_settings.refresh_from_db()
    items, today = study_queue(user=user, now=T0 + dt.timedelta(minutes=1, seconds=1))
    assert items == []
    assert (today.learning_later, today.learning_next_due) == (2, T0 + dt.timedelta(minutes=10))


def test_learn_ahead_waits_while_new_cards_are_left():
    user, _, cards = enrolled_user(3, new_per_day=20, learning_steps=[1, 10])
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    items, today = study_queue(user=user, now=T0 + dt.timedelta(minutes=1))
    assert [i.queue for i in items] == ["new", "new"]
    assert (today.learning_later, today.learning_next_due) == (1, T0 + dt.timedelta(minutes=10))


def test_queue_api_answers_the_next_learning_cards():
    user, _, cards = enrolled_user(1, new_per_day=20, learning_steps=[1, 10], learn_ahead_minutes=0)
    review_submit(user=user, card_id=cards[0].id, rating=1, client_review_id=rid(), now=T0)
    with time_machine.travel(T0 + dt.timedelta(seconds=20), tick=False):
        body = client_for(user).get("/api/v1/study/queue").json()
    assert body["cards"] == []
    assert body["today"]["learning_later"] == 1
    assert body["today"]["learning_next_due"] == "2026-03-10T02:01:00Z"


def _deck(slug: str, position: int, specs: list[tuple[str, list[str]]], start: int) -> Deck:
    deck = Deck.objects.create(slug=slug, name=slug, position=position)
    Card.objects.bulk_create(
        [
            Card(
                uid=f"{slug}.{i}",
                deck=deck,
                kind=kind,
                family="conv2d_output_size" if kind == "exercise" else "",
                front=f"{slug} {i}",
                back="b",
                position=start + i,
                topics=topics,
            )
            for i, (kind, topics) in enumerate(specs)
        ]
    )
    return deck


def _two_decks():
    a = _deck(
        "a",
        0,
        [
            ("basic", ["t1"]),
            ("basic", ["t2"]),
            ("basic", ["t3"]),
            ("basic", ["t4"]),
            ("exercise", ["t2"]),
            ("exercise", ["t2"]),
            ("exercise", ["zz"]),
        ],
        0,
    )
    b = _deck("b", 1, [("basic", ["u1"]), ("basic", ["u2"])], 100)
    return a, b


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # deck order: the file order, deck a then deck b
        ("deck", ["a.0", "a.1", "a.2", "a.3", "a.4", "a.5", "a.6", "b.0", "b.1"]),
        # across decks: first of each deck, second of each, ...
        ("mixed", ["a.0", "b.0", "a.1", "b.1", "a.2", "a.3", "a.4", "a.5", "a.6"]),
        # exercises after the first card of their topic (t2 is a.1), one per card; a.6's topic has no card
        ("interleaved", ["a.0", "a.1", "a.4", "a.2", "a.5", "a.3", "a.6", "b.0", "b.1"]),
    ],
)
def test_new_card_orders(order, expected):
    a, b = _two_decks()
    user = make_user(new_per_day=50, new_card_order=order)
    deck_enroll(user=user, deck=a)
    deck_enroll(user=user, deck=b)
    items, _ = study_queue(user=user, now=T0, limit=50)
    assert [i.state.card.uid for i in items] == expected
    assert [i.state.card.uid for i in study_extra_new(user=user, now=T0, limit=3)] == expected[:3]


def test_a_new_learner_meets_an_exercise_on_the_first_day_by_default():
    flash = [("basic", [f"t{i}"]) for i in range(30)]
    deck = _deck("c", 0, [*flash, ("exercise", ["t3"])], 0)
    user = make_user()  # the default settings: 20 new cards a day
    deck_enroll(user=user, deck=deck)
    items, _ = study_queue(user=user, now=T0)
    uids = [i.state.card.uid for i in items]
    assert len(uids) == 20 and uids[4] == "c.30"  # right after c.3, the first card of topic t3
    settings_update(user=user, new_card_order="deck")
    user.study_settings.refresh_from_db()
    assert "c.30" not in [i.state.card.uid for i in study_queue(user=user, now=T0)[0]]


def test_settings_api_refuses_an_unknown_order_and_writes_nothing():
    user = make_user()
    r = client_for(user).patch(
        "/api/v1/settings", {"new_card_order": "random", "learn_ahead_minutes": 5}, format="json"
    )
    assert r.status_code == 400 and "new_card_order" in r.json()["error"]["fields"]
    user.study_settings.refresh_from_db()
    assert (user.study_settings.new_card_order, user.study_settings.learn_ahead_minutes) == (
        "interleaved",
        20,
    )
    r = client_for(user).patch(
        "/api/v1/settings", {"new_card_order": "mixed", "learn_ahead_minutes": 0}, format="json"
    )
    assert r.status_code == 200 and (r.json()["new_card_order"], r.json()["learn_ahead_minutes"]) == (
        "mixed",
        0,
    )


def test_dashboard_due_today_counts_learning_cards_and_agrees_with_the_forecast():
    user, _, cards = enrolled_user(4, new_per_day=20, learning_steps=[1, 60])
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)  # due in 60 min
    review_submit(user=user, card_id=cards[1].id, rating=1, client_review_id=rid(), now=T0)  # due in 1 min
    stats = dashboard_stats(user=user, now=T0 + dt.timedelta(minutes=5))
    assert stats["today"]["due_now"] == 1  # the one past its step
    assert stats["today"]["due_today"] == 2 == stats["forecast"][0]["count"]
    assert stats["decks"][0]["due"] == 2


def test_unbury_brings_the_card_back_at_once():
    user, _, cards = enrolled_user(2, new_per_day=20)
    card_bury(user=user, card_id=cards[0].id, now=T0)
    assert [i.state.card_id for i in study_queue(user=user, now=T0)[0]] == [cards[1].id]
    r = client_for(user).post(f"/api/v1/cards/{cards[0].id}/unbury")
    assert r.status_code == 200 and r.json()["buried_until"] is None
    assert card_unbury(user=user, card_id=cards[0].id).buried_until is None
    assert [i.state.card_id for i in study_queue(user=user, now=T0)[0]] == [cards[0].id, cards[1].id]
    other = make_user()
    assert client_for(other).post(f"/api/v1/cards/{cards[0].id}/unbury").status_code == 404
    assert client_for(None).post(f"/api/v1/cards/{cards[0].id}/unbury").status_code in (401, 403)


def test_custom_study_of_one_deck_tag_topic_or_exercises():
    from dlquiz.study.selectors import StudyScope

    a = _deck("cs-a", 0, [("basic", ["t1"]), ("exercise", ["t9"]), ("basic", ["t2"])], 0)
    b = _deck("cs-b", 1, [("basic", ["t1"]), ("basic", ["t3"])], 100)
    Card.objects.filter(uid="cs-b.1").update(tags=["pool"])
    user = make_user(new_per_day=50, new_card_order="deck")
    deck_enroll(user=user, deck=a)
    deck_enroll(user=user, deck=b)

    def uids(scope):
        return [i.state.card.uid for i in study_queue(user=user, now=T0, scope=scope)[0]]

    assert uids(StudyScope(deck=b.id)) == ["cs-b.0", "cs-b.1"]
    assert uids(StudyScope(kind="exercise")) == ["cs-a.1"]
    assert uids(StudyScope(topic="t1")) == ["cs-a.0", "cs-b.0"]
    assert uids(StudyScope(tag="pool")) == ["cs-b.1"]
    c = client_for(user)
    body = c.get("/api/v1/study/queue", {"deck": a.id, "kind": "basic"}).json()
    assert [x["card"]["uid"] for x in body["cards"]] == ["cs-a.0", "cs-a.2"]
    body = c.get("/api/v1/study/extra-new", {"kind": "exercise"}).json()
    assert [x["card"]["uid"] for x in body["cards"]] == ["cs-a.1"]
    body = c.get("/api/v1/practice/cards", {"topic": "t3"}).json()
    assert [x["uid"] for x in body["cards"]] == ["cs-b.1"]
    r = c.get("/api/v1/study/queue", {"kind": "poster"})
    assert r.status_code == 400 and "kind" in r.json()["error"]["fields"]
    # a deck the learner does not study: nothing, not someone else's cards
    other = _deck("cs-c", 2, [("basic", ["t1"])], 200)
    assert c.get("/api/v1/study/queue", {"deck": other.id}).json()["cards"] == []


def test_per_deck_daily_new_card_limits():
    a = _deck("lim-a", 0, [("basic", [f"a{i}"]) for i in range(6)], 0)
    b = _deck("lim-b", 1, [("basic", [f"b{i}"]) for i in range(6)], 100)
    user = make_user(new_per_day=8, new_card_order="deck")
    deck_enroll(user=user, deck=a)
    deck_enroll(user=user, deck=b)
    r = client_for(user).patch("/api/v1/settings", {"deck_new_limits": {str(a.id): 2}}, format="json")
    assert r.status_code == 200 and r.json()["deck_new_limits"] == {str(a.id): 2}
    user.study_settings.refresh_from_db()
    items, _ = study_queue(user=user, now=T0)
    # by hand: 2 from deck a (its cap), then deck b's 6 up to the day's 8
    assert [i.state.card.uid for i in items] == ["lim-a.0", "lim-a.1", *[f"lim-b.{i}" for i in range(6)]]
    review_submit(user=user, card_id=items[0].state.card_id, rating=4, client_review_id=rid(), now=T0)
    items, _ = study_queue(user=user, now=T0 + dt.timedelta(seconds=1))
    assert [i.state.card.uid for i in items if i.state.card.deck_id == a.id] == ["lim-a.1"]  # one of 2 left
    bad = client_for(user).patch("/api/v1/settings", {"deck_new_limits": {"deck": 2}}, format="json")
    assert bad.status_code == 400 and "deck_new_limits" in bad.json()["error"]["fields"]
    bad = client_for(user).patch("/api/v1/settings", {"deck_new_limits": {str(a.id): -1}}, format="json")
    assert bad.status_code == 400
    user.study_settings.refresh_from_db()
    assert user.study_settings.deck_new_limits == {str(a.id): 2}


def test_per_deck_daily_review_limits():
    """A deck's review cap (deck_review_limits) holds within the day's max_reviews_per_day: the capped deck
    gives at most its cap of due reviews (fewer as the day's reviews of it are done), others are uncapped."""
    a = _deck("rl-a", 0, [("basic", [f"a{i}"]) for i in range(4)], 0)
    b = _deck("rl-b", 1, [("basic", [f"b{i}"]) for i in range(3)], 100)
    user = make_user(max_reviews_per_day=50)
    deck_enroll(user=user, deck=a)
    deck_enroll(user=user, deck=b)
    # every card a review due before T0, deck a's earliest (so an uncapped queue would start with all of a)
    for i, cs in enumerate(
        CardState.objects.filter(user=user).order_by("card__deck__position", "card__position")
    ):
        CardState.objects.filter(pk=cs.pk).update(
            state=State.REVIEW,
            stability=5.0,
            difficulty=5.0,
            reps=1,
            last_review=T0 - dt.timedelta(days=6),
            due=T0 - dt.timedelta(hours=10 - i),
        )
    r = client_for(user).patch("/api/v1/settings", {"deck_review_limits": {str(a.id): 2}}, format="json")
    assert r.status_code == 200 and r.json()["deck_review_limits"] == {str(a.id): 2}
    user.study_settings.refresh_from_db()
    items, _ = study_queue(user=user, now=T0)
    # by hand: the 2 earliest of deck a (its cap), then all 3 of deck b
    assert [(i.state.card.uid, i.queue) for i in items] == [
        ("rl-a.0", "review"),
        ("rl-a.1", "review"),
        ("rl-b.0", "review"),
        ("rl-b.1", "review"),
        ("rl-b.2", "review"),
    ]
    review_submit(user=user, card_id=items[0].state.card_id, rating=3, client_review_id=rid(), now=T0)
    items, _ = study_queue(user=user, now=T0 + dt.timedelta(seconds=1))
    assert [i.state.card.uid for i in items if i.state.card.deck_id == a.id] == ["rl-a.1"]  # one of 2 left
    bad = client_for(user).patch("/api/v1/settings", {"deck_review_limits": {"x": 1}}, format="json")
    assert bad.status_code == 400 and "deck_review_limits" in bad.json()["error"]["fields"]
    user.study_settings.refresh_from_db()
    assert user.study_settings.deck_review_limits == {str(a.id): 2}
