"""The card browser's reads: filters, one card and its history, the forgetting curve, the filter values."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.decks.models import Card
from dlquiz.errors import NotFound
from dlquiz.study.browse import (
    browse_facets,
    card_history,
    card_retrievability,
    card_state_get,
    card_state_list,
    forgetting_curve,
    topic_titles,
)
from dlquiz.study.models import CardState, State
from dlquiz.study.services import card_suspend, review_submit
from tests.factories import enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def _ids(qs) -> list[int]:
    return [cs.card_id for cs in qs]


def test_state_filters_group_relearning_with_learning_and_leave_suspended_cards_to_their_own_filter():
    user, _, cards = enrolled_user(5)
    review_submit(user=user, card_id=cards[0].id, rating=1, client_review_id=rid(), now=T0)  # learning
    review_submit(user=user, card_id=cards[1].id, rating=4, client_review_id=rid(), now=T0)  # review
    CardState.objects.filter(user=user, card=cards[2]).update(state=State.RELEARNING)
    card_suspend(user=user, card_id=cards[3].id)
    assert _ids(card_state_list(user=user, state="learning")) == [cards[0].id, cards[2].id]
    assert _ids(card_state_list(user=user, state="review")) == [cards[1].id]
    assert _ids(card_state_list(user=user, state="new")) == [cards[4].id]
    assert _ids(card_state_list(user=user, state="suspended")) == [cards[3].id]
    assert _ids(card_state_list(user=user)) == [c.id for c in cards]


def test_search_matches_every_word_front_or_back_skips_retired_cards_and_due_filters():
    user, _, cards = enrolled_user(3)
    Card.objects.filter(pk=cards[0].pk).update(front="Batch norm 的滑动统计量", back="momentum")
    Card.objects.filter(pk=cards[1].pk).update(front="Layer norm", back="no running stats")
    Card.objects.filter(pk=cards[2].pk).update(front="Batch norm momentum", retired=True)
    assert _ids(card_state_list(user=user, q="norm momentum")) == [cards[0].id]
    assert _ids(card_state_list(user=user, q="NORM")) == [cards[0].id, cards[1].id]
    review_submit(user=user, card_id=cards[1].id, rating=4, client_review_id=rid(), now=T0)
    assert _ids(card_state_list(user=user, due_before=T0 + dt.timedelta(days=1))) == []
    assert _ids(card_state_list(user=user, due_before=T0 + dt.timedelta(days=365))) == [cards[1].id]


def test_tag_and_topic_filters_match_whole_values_only():
    user, _, cards = enrolled_user(2)
    Card.objects.filter(pk=cards[1].pk).update(tags=["bn-extra"], topics=["001-05740"])
    assert _ids(card_state_list(user=user, tag="bn")) == [cards[0].id]
    assert _ids(card_state_list(user=user, topic="001-0574")) == [cards[0].id]


def test_one_card_and_its_history_belong_to_their_learner_only():
    user, _, cards = enrolled_user(2)
    other = make_user()
    review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    assert card_state_get(user=user, card_id=cards[0].id).reps == 1
    assert [log.rating for log in card_history(user=user, card_id=cards[0].id)] == [3]
    assert list(card_history(user=user, card_id=cards[1].id)) == []
    for read in (card_state_get, card_history):
        with pytest.raises(NotFound):
            read(user=other, card_id=cards[0].id)


def test_forgetting_curve_starts_at_one_and_falls_from_the_last_review():
    user, _, cards = enrolled_user(2)
    review_submit(user=user, card_id=cards[0].id, rating=4, client_review_id=rid(), now=T0)
    cs = card_state_get(user=user, card_id=cards[0].id)
    curve = forgetting_curve(user=user, cs=cs, now=T0, days=30)
    assert [p["day"] for p in curve] == list(range(31)) and curve[0]["retrievability"] == 1.0
    values = [p["retrievability"] for p in curve]
    assert values == sorted(values, reverse=True) and values[-1] < 1.0
    later = T0 + dt.timedelta(days=10)
    assert card_retrievability(user=user, cs=cs, now=later) == pytest.approx(values[10])
    new = card_state_get(user=user, card_id=cards[1].id)
    assert (
        forgetting_curve(user=user, cs=new, now=T0) == []
        and card_retrievability(user=user, cs=new, now=T0) == 0
    )


def test_facets_are_the_tags_and_topics_of_the_learners_current_cards(settings, tmp_path):
    settings.OUTLINE_PATH = tmp_path / "missing.tsv"
    assert topic_titles() == {}
    user, _, cards = enrolled_user(3)
    Card.objects.filter(pk=cards[1].pk).update(tags=["bn", "norm"], topics=["002-0001"])
    Card.objects.filter(pk=cards[2].pk).update(tags=["retired-only"], topics=["003-0001"], retired=True)
    assert browse_facets(user=user) == {
        "tags": ["bn", "norm"],
        "topics": [{"id": "001-0574", "title": ""}, {"id": "002-0001", "title": ""}],
    }
