"""The hand-built queue representations equal what the documented serializers produce."""

import datetime as dt

import pytest

from dlquiz.study.apis import CardOut, ReviewOut, StateOut, card_data, review_data, state_data
from dlquiz.study.models import CardState, ReviewLog
from dlquiz.study.services import review_submit
from tests.factories import enrolled_user, rid

pytestmark = pytest.mark.django_db


def test_card_and_state_data_match_their_serializers():
    user, _, cards = enrolled_user(2)
    out = review_submit(
        user=user,
        card_id=cards[0].id,
        rating=3,
        client_review_id=rid(),
        now=dt.datetime(2026, 1, 5, 3, 4, 5, 678901, tzinfo=dt.UTC),
    )
    assert review_data(out.log) == ReviewOut(out.log).data
    assert review_data(ReviewLog.objects.get(pk=out.log.pk)) == ReviewOut(out.log).data
    for cs in CardState.objects.filter(user=user).select_related("card", "card__deck"):
        assert card_data(cs.card) == CardOut(cs.card).data
        assert state_data(cs) == StateOut(cs).data
