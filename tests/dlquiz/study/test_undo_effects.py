"""Undo restores exactly what the review changed, besides the memory state: the leech tag and suspension the
review set, the siblings it buried, the card's own bury it ended; a repeated submission answers as the first."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.decks.services import deck_enroll
from dlquiz.study import scheduling
from dlquiz.study.models import CardState
from dlquiz.study.services import card_bury, card_suspend, review_submit, review_undo, settings_update
from tests.dlquiz.study.test_siblings import DAY0 as SIB_DAY0
from tests.dlquiz.study.test_siblings import _deck
from tests.factories import client_for, enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
DAY0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _snapshot(user):
    return {
        cs.card_id: (scheduling.memory_of(cs), cs.leech, cs.suspended, cs.buried_until)
        for cs in CardState.objects.filter(user=user)
    }


def _learn(user, card_id, day):
    """Good, Good 11 minutes later: a review card on ``day``."""
    when = DAY0 + dt.timedelta(days=day)
    for at in (when, when + dt.timedelta(minutes=11)):
        review_submit(user=user, card_id=card_id, rating=3, client_review_id=rid(), now=at)
    return when + dt.timedelta(days=2)


def _leech_learner(threshold=1):
    user, _, cards = enrolled_user(2)
    settings_update(user=user, leech_threshold=threshold)
    user.refresh_from_db()
    return user, cards[0].id


def test_undoing_the_review_that_made_a_leech_clears_the_tag_and_unsuspends():
    user, card_id = _leech_learner()
    lapse_at = _learn(user, card_id, 0)
    before = _snapshot(user)
    out = review_submit(user=user, card_id=card_id, rating=1, client_review_id=rid(), now=lapse_at)
    assert out.leech
    cs = CardState.objects.get(user=user, card_id=card_id)
    assert (cs.leech, cs.suspended, cs.lapses) == (True, True, 1)
    review_undo(user=user)
    assert _snapshot(user) == before
    # the card can be answered again, and the same lapse makes it a leech again
    again = review_submit(user=user, card_id=card_id, rating=1, client_review_id=rid(), now=lapse_at)
    assert again.leech


def test_undo_keeps_a_leech_tag_the_card_had_before_the_review():
    user, card_id = _leech_learner()
    lapse_at = _learn(user, card_id, 0)
    assert review_submit(user=user, card_id=card_id, rating=1, client_review_id=rid(), now=lapse_at).leech
    card_suspend(user=user, card_id=card_id, suspended=False)  # the learner takes the leech back in
    second = _learn(user, card_id, 5)
    before = _snapshot(user)
    assert before[card_id][1:3] == (True, False)
    assert review_submit(user=user, card_id=card_id, rating=1, client_review_id=rid(), now=second).leech
    review_undo(user=user)
    assert _snapshot(user) == before  # still tagged, no longer suspended


def test_a_repeated_submission_of_the_leech_review_says_leech():
    user, card_id = _leech_learner()
    lapse_at = _learn(user, card_id, 0)
    body = {"card": card_id, "rating": 1, "client_review_id": rid(), "reviewed_at": lapse_at.isoformat()}
    c = client_for(user)
    first = c.post("/api/v1/reviews", body, format="json")
    assert first.status_code == 201 and first.json()["leech"] is True
    repeat = c.post("/api/v1/reviews", body, format="json")
    assert repeat.status_code == 200 and repeat.json() == first.json()
    # and an ordinary review repeated is not a leech
    body = {"card": card_id, "rating": 3, "client_review_id": rid()}
    other = client_for(user)
    card_suspend(user=user, card_id=card_id, suspended=False)
    assert [other.post("/api/v1/reviews", body, format="json").json()["leech"] for _ in range(2)] == [
        False,
        False,
    ]


def test_undo_unburies_the_siblings_the_review_buried_and_only_those():
    user = make_user(new_per_day=50)
    deck, cards = _deck()
    deck_enroll(user=user, deck=deck)
    ids = {uid: c.id for uid, c in cards.items()}
    # clz~c3 buried by the learner for today (the review leaves it as it is), clz~c2 further on
    card_bury(user=user, card_id=ids["clz~c3"], now=SIB_DAY0)
    far = SIB_DAY0 + dt.timedelta(days=9)
    CardState.objects.filter(user=user, card_id=ids["clz~c2"]).update(buried_until=far)
    before = _snapshot(user)
    review_submit(user=user, card_id=ids["clz"], rating=3, client_review_id=rid(), now=SIB_DAY0)
    review_submit(user=user, card_id=ids["bn_1"], rating=3, client_review_id=rid(), now=SIB_DAY0)
    assert CardState.objects.get(user=user, card_id=ids["bn_1~r"]).buried_until is not None
    review_undo(user=user)
    review_undo(user=user)
    assert _snapshot(user) == before


def test_undo_restores_a_sibling_bury_that_the_next_review_of_it_ended():
    """bn_1 buries bn_1~r; the learner answers bn_1~r anyway (the review ends its bury); undoing that review
    buries it again, as bn_1's review left it."""
    user = make_user(new_per_day=50)
    deck, cards = _deck()
    deck_enroll(user=user, deck=deck)
    ids = {uid: c.id for uid, c in cards.items()}
    review_submit(user=user, card_id=ids["bn_1"], rating=3, client_review_id=rid(), now=SIB_DAY0)
    before = _snapshot(user)
    assert before[ids["bn_1~r"]][3] is not None
    later = SIB_DAY0 + dt.timedelta(minutes=5)
    review_submit(user=user, card_id=ids["bn_1~r"], rating=3, client_review_id=rid(), now=later)
    assert CardState.objects.get(user=user, card_id=ids["bn_1~r"]).buried_until is None
    review_undo(user=user)
    assert _snapshot(user) == before


@pytest.mark.parametrize("suspended_before", [False, True])
def test_undoing_an_offline_lapse_that_made_a_leech_restores_the_flags(suspended_before):
    """Offline reviews are kept even for a suspended card; the synced lapse that makes a leech records the
    flags before it, and undo gives them back."""
    from tests.dlquiz.sync.test_reviews import NOW as SYNC_NOW
    from tests.dlquiz.sync.test_reviews import item, post

    user, _, cards = enrolled_user(1, leech_threshold=2)
    card = cards[0]
    d0 = SYNC_NOW - dt.timedelta(days=20)
    at = [d0, d0 + dt.timedelta(days=5), d0 + dt.timedelta(days=5, minutes=15), d0 + dt.timedelta(days=15)]
    assert post(user, [item(card, r, t) for r, t in zip((4, 1, 3), at, strict=False)]).status_code == 200
    card_suspend(user=user, card_id=card.id, suspended=suspended_before)
    before = _snapshot(user)
    assert before[card.id][1:3] == (False, suspended_before)
    body = post(user, [item(card, 1, at[3])]).json()
    assert (body["states"][0]["leech"], body["states"][0]["suspended"]) == (True, True)
    review_undo(user=user)
    assert _snapshot(user) == before
