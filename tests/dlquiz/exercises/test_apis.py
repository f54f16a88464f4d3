"""Exercises over HTTP. In the study loop: one stored variant per review, graded once, rating suggested.
In practice: a fresh variant per draw, graded as often as asked, nothing recorded."""

from __future__ import annotations

import math

import pytest
from django.core import signing

import engine
from dlquiz.exercises.models import ExerciseAttempt
from dlquiz.exercises.services import PRACTICE_TOKEN_SALT
from dlquiz.study.models import CardState, ReviewLog
from tests.factories import client_for, enrolled_user, make_user, rid

pytestmark = pytest.mark.django_db
FAMILY = "conv2d_output_size"


def conv_out(p):
    """Hand formula for nn.Conv2d's output size, written here independently of the engine."""
    eff = p["dilation"] * (p["kernel"] - 1) + 1
    return math.floor((p["size"] + 2 * p["padding"] - eff) / p["stride"]) + 1


@pytest.fixture
def setup():
    user, _, cards = enrolled_user(2, kind="exercise", family=FAMILY)
    return user, cards, client_for(user)


def test_variant_is_stored_and_the_same_until_the_review_is_recorded(setup):
    user, cards, c = setup
    first = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    again = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    assert first == again and first["family"] == FAMILY and first["result"] is None
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
    attempt = ExerciseAttempt.objects.get(pk=ex["attempt"])
    assert attempt.result is None and attempt.unreadable_count == 1  # counted for the item statistics
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": f"{conv_out(params)}．０"}},
        format="json",
    ).json()
    assert res["correct"] is True
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).unreadable_count == 1


def test_imprecise_answer_costs_nothing_like_an_unreadable_one(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    attempt = ExerciseAttempt.objects.get(pk=ex["attempt"])
    attempt.family = "activation_values"
    attempt.family_version = engine.get_family("activation_values").version
    attempt.params = {"fn": "tanh", "x": 0.5, "slope": 0.1, "alpha": 1.0}
    attempt.save()
    shown = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    assert [p["precision"]["digits"] for p in shown["parts"]] == [5, 5]
    assert "保留 5 位有效数字" in shown["prompt"] and shown["parts"][0]["precision"]["mode"] == "sig"
    th = math.tanh(0.5)  # 0.46211716; derivative 1 - tanh² = 0.78644773
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": attempt.pk, "answers": {"value": "0.462", "grad": f"{1 - th * th:.5g}"}},
        format="json",
    ).json()
    assert res["readable"] is False and res["suggested_rating"] is None and res["solution"] == ""
    assert res["parts"][0]["status"] == "imprecise"
    attempt.refresh_from_db()
    assert attempt.result is None  # the attempt stays open
    res = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": attempt.pk, "answers": {"value": f"{th:.5g}", "grad": f"{1 - th * th:.5g}"}},
        format="json",
    ).json()
    assert res["correct"] is True and res["suggested_rating"] == 3


def test_bad_input_is_rejected_cleanly(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    url = f"/api/v1/cards/{cards[0].id}/exercise"
    r = c.post(url, {"attempt": ex["attempt"], "answers": {"out": "1" * 10_001}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    r = c.post(url, {"attempt": ex["attempt"], "answers": {"nope": "1"}}, format="json")
    assert r.status_code == 400 and "answers" in r.json()["error"]["fields"]
    o = client_for(make_user())
    assert o.get(url).status_code == 404
    assert o.post(url, {"attempt": ex["attempt"], "answers": {"out": "1"}}, format="json").status_code == 404
    assert client_for().get(url).status_code == 401
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result is None


def test_non_exercise_card_has_no_exercise():
    user, _, cards = enrolled_user(1)
    r = client_for(user).get(f"/api/v1/cards/{cards[0].id}/exercise")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_exercise"


def _age_attempt(attempt_id: int) -> None:
    """Make a stored attempt look drawn with an older version of its family."""
    attempt = ExerciseAttempt.objects.get(pk=attempt_id)
    attempt.family_version -= 1
    attempt.save(update_fields=["family_version"])


def test_answer_to_an_attempt_of_an_older_family_version_is_refused(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    _age_attempt(ex["attempt"])
    params = ExerciseAttempt.objects.get(pk=ex["attempt"]).params
    r = c.post(
        f"/api/v1/cards/{cards[0].id}/exercise",
        {"attempt": ex["attempt"], "answers": {"out": str(conv_out(params))}},
        format="json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_exercise"
    assert ExerciseAttempt.objects.get(pk=ex["attempt"]).result is None


def test_open_attempt_of_an_older_family_version_is_drawn_again(setup):
    user, cards, c = setup
    ex = c.get(f"/api/v1/cards/{cards[0].id}/exercise").json()
    _age_attempt(ex["attempt"])
    again = c.get(f"/api/v1/cards/{cards[0].id}/exercise")
    assert again.status_code == 200 and again.json()["attempt"] != ex["attempt"]
    fresh = ExerciseAttempt.objects.get(user=user, card=cards[0])  # the stale one is gone
    assert fresh.pk == again.json()["attempt"] and fresh.family_version == engine.get_family(FAMILY).version


def test_graded_attempt_of_an_older_family_version_keeps_its_result_but_is_not_rebuilt(setup):
    user, cards, c = setup
    url = f"/api/v1/cards/{cards[0].id}/exercise"
    ex = c.get(url).json()
    params = ExerciseAttempt.objects.get(pk=ex["attempt"]).params
    graded = c.post(url, {"attempt": ex["attempt"], "answers": {"out": str(conv_out(params))}}, format="json")
    _age_attempt(ex["attempt"])
    again = c.post(url, {"attempt": ex["attempt"], "answers": {"out": "0"}}, format="json")
    assert again.status_code == 200 and again.json() == graded.json()
    r = c.get(url)
    assert r.status_code == 409 and r.json()["error"]["code"] == "stale_exercise"
    assert ExerciseAttempt.objects.filter(user=user, card=cards[0]).count() == 1


@pytest.fixture
def practice_setup():
    user, _, cards = enrolled_user(1, kind="exercise", family=FAMILY)
    return user, cards[0]


def test_practice_exercise_grades_a_fresh_variant_without_touching_the_schedule(practice_setup):
    user, card = practice_setup
    c = client_for(user)
    drawn = c.post("/api/v1/practice/exercise", {"card": card.id}, format="json").json()
    assert drawn["family"] == FAMILY and [p["name"] for p in drawn["parts"]] == ["out"]
    params = signing.loads(drawn["token"], salt=PRACTICE_TOKEN_SALT)["p"]
    right = conv_out(params)
    unreadable = c.post(
        "/api/v1/practice/exercise/answer",
        {"token": drawn["token"], "answers": {"out": "abc"}},
        format="json",
    ).json()
    assert unreadable["readable"] is False and unreadable["solution"] == ""
    wrong = c.post(
        "/api/v1/practice/exercise/answer",
        {"token": drawn["token"], "answers": {"out": str(right + 1)}},
        format="json",
    ).json()
    assert wrong["correct"] is False and wrong["parts"][0]["expected"] == right and wrong["solution"]
    assert wrong["suggested_rating"] is None
    ok = c.post(
        "/api/v1/practice/exercise/answer",
        {"token": drawn["token"], "answers": {"out": str(right)}},
        format="json",
    ).json()
    assert ok["correct"] is True and ok["parts"][0]["parsed"] == right
    assert ExerciseAttempt.objects.count() == 0 and ReviewLog.objects.count() == 0
    assert CardState.objects.get(user=user, card=card).reps == 0


def test_practice_answers_are_checked_like_study_answers(practice_setup):
    user, card = practice_setup
    c = client_for(user)
    token = c.post("/api/v1/practice/exercise", {"card": card.id}, format="json").json()["token"]
    url = "/api/v1/practice/exercise/answer"
    r = c.post(url, {"token": token, "answers": {"out": "1" * 10_001}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    r = c.post(url, {"token": token, "answers": {f"p{i}": "1" for i in range(21)}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"answers": ["too many answer parts"]}
    r = c.post(url, {"token": token, "answers": {"nope": "1"}}, format="json")
    assert r.status_code == 400 and "answers" in r.json()["error"]["fields"]
    r = c.post(url, {"token": token, "answers": {f"p{i}": "1" * 9_999 for i in range(2)}}, format="json")
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_long"


def test_practice_token_is_bound_to_the_learner_and_unforgeable(practice_setup):
    user, card = practice_setup
    drawn = client_for(user).post("/api/v1/practice/exercise", {"card": card.id}, format="json").json()
    other = make_user()
    r = client_for(other).post(
        "/api/v1/practice/exercise/answer", {"token": drawn["token"], "answers": {"out": "1"}}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_token"
    forged = signing.dumps({"u": user.pk, "c": card.id, "f": FAMILY, "v": 1, "p": {}}, salt="other")
    r = client_for(user).post(
        "/api/v1/practice/exercise/answer", {"token": forged, "answers": {"out": "1"}}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_token"


def test_practice_token_of_an_older_family_version_is_stale(practice_setup):
    user, card = practice_setup
    c = client_for(user)
    drawn = c.post("/api/v1/practice/exercise", {"card": card.id}, format="json").json()
    data = signing.loads(drawn["token"], salt=PRACTICE_TOKEN_SALT)
    old = signing.dumps({**data, "v": data["v"] - 1}, salt=PRACTICE_TOKEN_SALT, compress=True)
    r = c.post("/api/v1/practice/exercise/answer", {"token": old, "answers": {"out": "1"}}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "stale_token"


def test_practice_exercise_of_another_learners_card_is_not_found(practice_setup):
    _, card = practice_setup
    other = make_user()
    assert (
        client_for(other).post("/api/v1/practice/exercise", {"card": card.id}, format="json").status_code
        == 404
    )
    basic_user, _, basic_cards = enrolled_user(1)
    r = client_for(basic_user).post("/api/v1/practice/exercise", {"card": basic_cards[0].id}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_exercise"
