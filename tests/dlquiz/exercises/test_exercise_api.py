"""Exercise cards in the study loop: one stored variant per review, graded once, rating suggested."""

from __future__ import annotations

import math

import pytest
from rest_framework.test import APIClient

from dlquiz.decks.services import deck_enroll
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.study.models import ReviewLog
from tests.factories import make_deck, make_user, rid

pytestmark = pytest.mark.django_db


def conv_out(p):
    """Hand formula for nn.Conv2d's output size, written here independently of the engine."""
    eff = p["dilation"] * (p["kernel"] - 1) + 1
    return math.floor((p["size"] + 2 * p["padding"] - eff) / p["stride"]) + 1


@pytest.fixture
def setup():
    user = make_user()
    deck = make_deck(2, kind="exercise", family="conv2d_output_size")
    deck_enroll(user=user, deck=deck)
    c = APIClient()
    c.force_authenticate(user)
    return user, list(deck.cards.order_by("position")), c


def test_variant_is_stored_and_the_same_until_the_review_is_recorded(setup):
    user, cards, c = setup
    first = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    again = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    assert first == again and first["family"] == "conv2d_output_size" and first["result"] is None
    assert [p["name"] for p in first["parts"]] == ["out"]
    attempt = ExerciseAttempt.objects.get(pk=first["attempt"])
    # every number of the prompt is in the stored params
    for v in attempt.params.values():
        assert str(v) in first["prompt"]
    c.post("/api/v1/reviews", {"card": cards[0].id, "rating": 3, "client_review_id": rid()}, format="json")
    later = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    assert later["attempt"] != first["attempt"]


def test_right_answer_suggests_good_and_is_graded_once(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    params = ExerciseAttempt.objects.get(pk=ex["attempt"]).params
    right = str(conv_out(params))
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": right}},
        format="json",
    ).json()
    assert res["correct"] is True and res["suggested_rating"] == 3 and res["parts"][0]["parsed"] == int(right)
    assert "lfloor" in res["solution"]
    # a second submission (even a wrong one) returns the first grade
    res2 = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": "0"}},
        format="json",
    ).json()
    assert res2 == res
    assert ReviewLog.objects.count() == 0  # grading records no review: the learner confirms the rating


def test_wrong_answer_suggests_again_and_names_a_known_mistake(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    attempt = ExerciseAttempt.objects.get(pk=ex["attempt"])
    attempt.params = {"size": 32, "kernel": 3, "padding": 2, "stride": 1, "dilation": 1}
    attempt.save()
    # forgot to double the padding: 32 + 2 - 3 + 1 = 32 instead of 34
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": attempt.pk, "answers": {"out": "32"}},
        format="json",
    ).json()
    assert res["correct"] is False and res["suggested_rating"] == 1
    assert res["mistake"]["id"] == "conv.forgot-double-padding"


def test_unreadable_answer_costs_nothing_and_can_be_corrected(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    params = ExerciseAttempt.objects.get(pk=ex["attempt"]).params
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": "三十二"}},
        format="json",
    ).json()
    assert res["readable"] is False and res["suggested_rating"] is None and res["solution"] == ""
    assert "整数" in res["parts"][0]["feedback"]
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result is None
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": f"{conv_out(params)}．０"}},
        format="json",
    ).json()
    assert res["correct"] is True


def test_bad_input_is_rejected_cleanly(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    url = f"/api/v1/cards/{cards[0].id}/exercise"
    r = c.post(url, {"attempt": ex["attempt"], "answers": {"out": "1" * 10_001}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    r = c.post(url, {"attempt": ex["attempt"], "answers": {"nope": "1"}}, format="json")
    assert r.status_code == 400 and "answers" in r.json()["error"]["fields"]
    other_user = make_user()
    o = APIClient()
    o.force_authenticate(other_user)
    assert o.get(url).status_code == 404
    assert o.post(url, {"attempt": ex["attempt"], "answers": {"out": "1"}}, format="json").status_code == 404
    assert APIClient().get(url).status_code == 403
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result is None


def test_non_exercise_card_has_no_exercise():
    user = make_user()
    deck = make_deck(1)
    deck_enroll(user=user, deck=deck)
    c = APIClient()
    c.force_authenticate(user)
    r = c.get(f"/api/v1/cards/{deck.cards.get().id}/exercise")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_exercise"
