"""The learner's FSRS parameters: every review, preview and replay uses the ones in force."""

from __future__ import annotations

import datetime as dt

import pytest
from fsrs.scheduler import DEFAULT_PARAMETERS

from dlquiz.study import scheduling
from dlquiz.study.models import CardState, StudySettings
from dlquiz.study.selectors import study_queue
from dlquiz.study.services import card_state_replay, review_submit
from tests.factories import enrolled_user, rid

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)

# w[2] and w[3] are FSRS's initial stabilities of a first Good and a first Easy (days): the learner's own
# parameters differ there from py-fsrs's defaults (2.3065 and 8.2956).
OWN = list(DEFAULT_PARAMETERS)
OWN[2], OWN[3] = 5.0, 30.0


def _adopt(user, params):
    StudySettings.objects.filter(user=user).update(fsrs_parameters=params)
    user.refresh_from_db()  # drops the cached study_settings


def test_review_uses_the_learners_parameters():
    user, _, cards = enrolled_user(2)
    _adopt(user, OWN)
    good = review_submit(user=user, card_id=cards[0].id, rating=3, client_review_id=rid(), now=T0)
    easy = review_submit(user=user, card_id=cards[1].id, rating=4, client_review_id=rid(), now=T0)
    # a new card's stability after its first rating is w[rating - 1] (FSRS's S0), by hand
    assert good.log.state_after["stability"] == pytest.approx(5.0)
    assert easy.log.state_after["stability"] == pytest.approx(30.0)
    # at desired retention 0.9 FSRS's interval equals the stability: 30 days; the fuzz's delta is
    # 1 + 0.15 * 4.5 + 0.1 * 13 + 0.05 * 10 = 3.475 days, drawn as round(u * (33 - 27 + 1) + 27): 27..34
    due = dt.datetime.fromisoformat(easy.log.state_after["due"])
    assert 27 <= (due - T0).days <= 34


def test_defaults_until_parameters_are_adopted():
    user, _, cards = enrolled_user(1)
    out = review_submit(user=user, card_id=cards[0].id, rating=4, client_review_id=rid(), now=T0)
    assert out.log.state_after["stability"] == pytest.approx(DEFAULT_PARAMETERS[3])


def test_queue_previews_use_the_learners_parameters():
    user, _, cards = enrolled_user(1)
    _adopt(user, OWN)
    items, _ = study_queue(user=user, now=T0)
    easy_days = items[0].intervals[4] / 86400
    assert 27 <= easy_days <= 34
    out = review_submit(user=user, card_id=cards[0].id, rating=4, client_review_id=rid(), now=T0)
    due = dt.datetime.fromisoformat(out.log.state_after["due"])
    assert (due - T0).total_seconds() == items[0].intervals[4]


def test_replay_uses_the_learners_parameters_or_the_given_ones():
    user, _, cards = enrolled_user(1)
    card = cards[0].id
    for days, rating in ((0, 3), (0, 3), (3, 3), (10, 1), (10, 3), (20, 4)):
        review_submit(
            user=user, card_id=card, rating=rating, client_review_id=rid(), now=T0 + dt.timedelta(days=days)
        )
    stored = scheduling.memory_of(CardState.objects.get(user=user, card_id=card))
    assert card_state_replay(user=user, card_id=card) == stored
    with_own = card_state_replay(user=user, card_id=card, parameters=OWN)
    assert with_own != stored
    _adopt(user, OWN)
    assert card_state_replay(user=user, card_id=card) == with_own
