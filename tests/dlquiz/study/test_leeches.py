"""Leeches: the lapse that reaches the learner's threshold tags the card leech and suspends it."""

from __future__ import annotations

import datetime as dt

import pytest

from dlquiz.study.browse import card_state_list
from dlquiz.study.models import CardState
from dlquiz.study.selectors import study_queue
from dlquiz.study.services import review_submit, settings_update
from tests.factories import client_for, enrolled_user, rid

pytestmark = pytest.mark.django_db
DAY0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def _review(user, card, rating, when):
    return client_for(user).post(
        "/api/v1/reviews",
        {"card": card.id, "rating": rating, "client_review_id": rid(), "reviewed_at": when.isoformat()},
        format="json",
    )


def _lapse_cycle(user, card, day):
    """Learn the card to review on ``day`` (Good, Good 10 minutes later), then forget it two study days on."""
    when = DAY0 + dt.timedelta(days=day)
    assert _review(user, card, 3, when).status_code == 201
    assert _review(user, card, 3, when + dt.timedelta(minutes=11)).status_code == 201
    return _review(user, card, 1, when + dt.timedelta(days=2))


@pytest.mark.parametrize("threshold", [3, 8])
def test_the_lapse_that_reaches_the_threshold_makes_a_leech(threshold, time_machine):
    user, _, cards = enrolled_user(2)
    if threshold != 8:
        settings_update(user=user, leech_threshold=threshold)
        user.refresh_from_db()  # the signed-in learner's settings, as a new request loads them
    card = cards[0]
    time_machine.move_to(DAY0 + dt.timedelta(days=100))
    for k in range(1, threshold + 1):
        response = _lapse_cycle(user, card, day=3 * k)
        assert response.status_code == 201
        cs = CardState.objects.get(user=user, card=card)
        assert cs.lapses == k
        # told in the review response exactly when the threshold is reached
        assert response.json()["leech"] is (k == threshold)
        assert (cs.leech, cs.suspended) == ((k == threshold), (k == threshold))
    # suspended: out of the study queue on the next local study days; the browse filter finds it
    for days in (1, 2):
        items, _ = study_queue(user=user, now=DAY0 + dt.timedelta(days=3 * threshold + 2 + days))
        assert card.id not in [i.state.card_id for i in items]
    assert [cs.card_id for cs in card_state_list(user=user, state="leech")] == [card.id]
    r = client_for(user).get("/api/v1/cards", {"state": "leech"})
    assert r.status_code == 200 and [
        c["card"]["id"] if isinstance(c.get("card"), dict) else c["card"] for c in r.json()["results"]
    ] == [card.id]
    # a further review is refused while suspended
    out = _review(user, card, 3, DAY0 + dt.timedelta(days=3 * threshold + 5))
    assert out.status_code == 409


def test_an_unlapsed_card_never_becomes_a_leech():
    user, _, cards = enrolled_user(1)
    settings_update(user=user, leech_threshold=1)
    user.refresh_from_db()
    for k in range(4):
        out = review_submit(
            user=user,
            card_id=cards[0].id,
            rating=3,
            client_review_id=rid(),
            now=DAY0 + dt.timedelta(days=k * 5),
        )
        assert not out.leech
    assert not CardState.objects.get(user=user, card=cards[0]).leech


def test_the_threshold_is_a_setting_with_bounds():
    user, _, _ = enrolled_user(1)
    c = client_for(user)
    assert c.get("/api/v1/settings").json()["leech_threshold"] == 8
    assert c.patch("/api/v1/settings", {"leech_threshold": 0}, format="json").status_code == 400
    r = c.patch("/api/v1/settings", {"leech_threshold": 5}, format="json")
    assert r.status_code == 200 and r.json()["leech_threshold"] == 5
