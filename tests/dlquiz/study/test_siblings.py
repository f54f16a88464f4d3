"""Siblings: the two directions of a basic+reverse card (and a note's clozes) are never both shown on one
local study day: answering one buries the others until the next study day starts (04:00 in Shanghai)."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.decks.models import Card, Deck
from dlquiz.decks.services import deck_enroll
from dlquiz.study.models import CardState
from dlquiz.study.selectors import study_queue
from dlquiz.study.services import review_submit
from dlquiz.study.siblings import note_key
from tests.factories import make_user, rid

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai has no daylight saving time
DAY0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)


def _deck():
    deck = Deck.objects.create(slug="sib", name="Siblings")
    specs = [
        ("bn_1", "basic"),
        ("bn_1~r", "reverse"),  # the reverse of bn_1
        ("bn_10", "basic"),  # not a sibling: another note whose uid starts alike (and '_' is no wildcard)
        ("bnx1~r", "reverse"),
        ("clz", "cloze"),
        ("clz~c2", "cloze"),
        ("clz~c3", "cloze"),
        ("ex", "exercise"),
    ]
    Card.objects.bulk_create(
        [Card(uid=u, deck=deck, kind=k, front=u, back="", position=i) for i, (u, k) in enumerate(specs)]
    )
    return deck, {c.uid: c for c in deck.cards.all()}


def _queue(user, when):
    items, _ = study_queue(user=user, now=when.astimezone(dt.UTC), limit=50)
    return {i.state.card.uid for i in items}


def test_note_key():
    assert note_key("bn_1~r") == note_key("bn_1") == "bn_1"
    assert note_key("u3:notes.md:ab12") == "u3:notes.md:ab12"


def test_answering_one_direction_buries_the_other_until_the_next_study_day():
    user = make_user(new_per_day=50)
    other = make_user(new_per_day=50)
    deck, cards = _deck()
    deck_enroll(user=user, deck=deck)
    deck_enroll(user=other, deck=deck)
    assert _queue(user, DAY0) == set(cards)
    review_submit(user=user, card_id=cards["bn_1"].id, rating=3, client_review_id=rid(), now=DAY0)
    review_submit(user=user, card_id=cards["clz~c2"].id, rating=3, client_review_id=rid(), now=DAY0)
    # the same study day, even after midnight (the day starts at 04:00)
    for when in (
        DAY0 + dt.timedelta(minutes=20),
        DAY0.replace(hour=23),
        DAY0 + dt.timedelta(hours=17, minutes=59),
    ):
        shown = _queue(user, when)
        assert "bn_1~r" not in shown and "clz" not in shown and "clz~c3" not in shown
        assert {"bn_10", "bnx1~r", "ex"} <= shown
    # the next study day: back
    next_day = (DAY0 + dt.timedelta(days=1)).replace(hour=4, minute=0)
    assert {"bn_1~r", "clz", "clz~c3"} <= _queue(user, next_day)
    assert CardState.objects.get(user=user, card=cards["bn_1~r"]).buried_until == next_day
    # another learner's cards are untouched
    assert not CardState.objects.filter(user=other, buried_until__isnull=False).exists()


def test_an_exercise_buries_nothing_and_a_later_bury_is_kept():
    user = make_user(new_per_day=50)
    deck, cards = _deck()
    deck_enroll(user=user, deck=deck)
    review_submit(user=user, card_id=cards["ex"].id, rating=3, client_review_id=rid(), now=DAY0)
    assert not CardState.objects.filter(user=user, buried_until__isnull=False).exists()
    far = DAY0 + dt.timedelta(days=9)
    CardState.objects.filter(user=user, card=cards["bn_1~r"]).update(buried_until=far)
    review_submit(user=user, card_id=cards["bn_1"].id, rating=3, client_review_id=rid(), now=DAY0)
    assert CardState.objects.get(user=user, card=cards["bn_1~r"]).buried_until == far
